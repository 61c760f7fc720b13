//go:build integration

package integration

import (
	"encoding/json"
	netpkg "net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Request fields added in API 1.42 ... 1.56 (Docker 23 to 29), each sent the
// way a client of the daemon in front of the guard sends it: unprefixed (the
// daemon's newest version) and with the daemon's own version prefix. On a
// daemon that predates a field (20.10) the guard still refuses the attack,
// since it cannot tell which daemon a client meant and must see the most; the
// benign request then only has to get past the guard. On a daemon that knows
// the field, the benign request must work and its effect is checked.

// daemonAPI is the newest API version of the daemon under test (its GET
// /version, read by the harness).
func daemonAPI(t *testing.T) string {
	t.Helper()
	if h.daemon.APIVersion == "" {
		t.Fatal("the harness has not read the daemon's API version")
	}
	return h.daemon.APIVersion
}

// daemonKnows reports whether the daemon under test reads a field added in
// API version since.
func daemonKnows(t *testing.T, since string) bool {
	return versionAtLeast(daemonAPI(t), since)
}

func versionAtLeast(v, since string) bool {
	var a, b [2]int
	for i, p := range strings.SplitN(v, ".", 2) {
		a[i] = atoi(p)
	}
	for i, p := range strings.SplitN(since, ".", 2) {
		b[i] = atoi(p)
	}
	return a[0] > b[0] || (a[0] == b[0] && a[1] >= b[1])
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return n
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// newerTargets are the targets an attack is sent to: unprefixed, and with
// the daemon's newest version when that version reads the field (a field
// introduced in since; "" for one without a version gate). Under an older
// version prefix the daemon ignores the field, and so does the guard.
func newerTargets(t *testing.T, path, since string) map[string]string {
	out := map[string]string{"unprefixed": path}
	if since == "" || daemonKnows(t, since) {
		out["v"+daemonAPI(t)] = "/v" + daemonAPI(t) + path
	}
	return out
}

func TestNewerFieldsAttacks(t *testing.T) {
	requireImage(t)
	volSysctl := `{"EndpointsConfig":{"bridge":{"DriverOpts":{"com.docker.network.endpoint.sysctls":"%s"}}}}`
	withNet := func(hostConfig, sysctls string) string {
		return `{"Image":"{img}","Cmd":["true"],"HostConfig":` + hostConfig + `,"NetworkingConfig":` + strings.Replace(volSysctl, "%s", sysctls, 1) + `}`
	}
	cases := []struct {
		name, path, body, rule string
		since                  string // the API version whose gate drops the field
	}{
		// HostConfig.Annotations (1.43): keys runc acts on, and any key the
		// allow-list does not name.
		{"annotation-org.criu.config", "/containers/create", hc(`{"Annotations":{"org.criu.config":"/tmp/dg-it-criu.conf"}}`), "DG-ANN-002", "1.43"},
		{"annotation-systemd-property", "/containers/create", hc(`{"Annotations":{"org.systemd.property.DeviceAllow":"/dev/sda rwm"}}`), "DG-ANN-002", "1.43"},
		{"annotation-crun-handler", "/containers/create", hc(`{"Annotations":{"run.oci.handler":"krun"}}`), "DG-ANN-002", "1.43"},
		{"annotation-not-listed", "/containers/create", hc(`{"Annotations":{"com.example.team":"ci"}}`), "DG-ANN-001", "1.43"},
		{"annotation-lower-case-key", "/containers/create", `{"image":"{img}","hostconfig":{"annotations":{"org.criu.config":"/x"}}}`, "DG-ANN-002", "1.43"},

		// writable-cgroups (Docker 28), every spelling parseSecurityOpt takes.
		{"writable-cgroups-bare", "/containers/create", secOpt("writable-cgroups"), "DG-CGRP-002", ""},
		{"writable-cgroups=True", "/containers/create", secOpt("writable-cgroups=True"), "DG-CGRP-002", ""},
		{"writable-cgroups:1", "/containers/create", secOpt("writable-cgroups:1"), "DG-CGRP-002", ""},
		{"writable-cgroups=t-after-false", "/containers/create", hc(`{"SecurityOpt":["writable-cgroups=false","writable-cgroups=t"]}`), "DG-CGRP-002", ""},

		// CDI device requests, and a CDI name through a GPU driver (29.2).
		{"cdi-driver", "/containers/create", hc(`{"DeviceRequests":[{"Driver":"cdi","DeviceIDs":["dood-guard.test/host=root"]}]}`), "DG-DEV-004", ""},
		{"cdi-name-through-nvidia", "/containers/create", hc(`{"DeviceRequests":[{"Driver":"nvidia","DeviceIDs":["dood-guard.test/host=root"],"Capabilities":[["gpu"]]}]}`), "DG-DEV-004", ""},
		{"cdi-name-through-default-driver", "/containers/create", hc(`{"DeviceRequests":[{"DeviceIDs":["dood-guard.test/host=root"],"Capabilities":[["gpu"]]}]}`), "DG-DEV-004", ""},

		// BindOptions (1.42, 1.44).
		{"create-mountpoint-outside-allowed", "/containers/create", hc(`{"Mounts":[{"Type":"bind","Source":"/opt/dg-it-created","Target":"/n","BindOptions":{"CreateMountpoint":true}}]}`), "DG-MNT-004", ""},
		{"read-only-non-recursive-of-/", "/containers/create", hc(`{"Mounts":[{"Type":"bind","Source":"/","Target":"/host","ReadOnly":true,"BindOptions":{"ReadOnlyNonRecursive":true}}]}`), "DG-MNT-001", ""},
		{"read-only-non-recursive-of-/etc", "/containers/create", hc(`{"Mounts":[{"Type":"bind","Source":"/etc","Target":"/e","ReadOnly":true,"BindOptions":{"ReadOnlyNonRecursive":true}}]}`), "DG-MNT-001", ""},

		// Volume Subpath (1.45) into an inline volume that binds the host.
		{"subpath-into-inline-bind-volume", "/containers/create", hc(`{"Mounts":[{"Type":"volume","Source":"dg-it-evil-subpath","Target":"/h","VolumeOptions":{"Subpath":"etc","DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/"}}}}]}`), "DG-MNT-002", ""},

		// Endpoint sysctls (1.46), on create and on network connect.
		{"endpoint-sysctl-not-an-interface-setting", "/containers/create", withNet(`{}`, "net.core.somaxconn=4096"), "DG-NET-001", ""},
		{"endpoint-sysctl-slash-in-a-part", "/containers/create", withNet(`{}`, "net.ipv4.conf/all.IFNAME.forwarding=1"), "DG-NET-001", ""},
		{"endpoint-sysctl-on-connect", "/networks/bridge/connect", `{"Container":"dg-it-none","EndpointConfig":{"DriverOpts":{"com.docker.network.endpoint.sysctls":"net.ipv4.ip_forward=1"}}}`, "DG-NET-001", ""},

		// Service Privileges (1.44): confinement off for every task. The
		// daemon is no swarm manager: the guard answers first.
		{"service-seccomp-unconfined", "/services/create", cspec(`,"Privileges":{"Seccomp":{"Mode":"unconfined"}}`), "DG-SEC-001", ""},
		{"service-seccomp-custom-allow-all", "/services/create", cspec(`,"Privileges":{"Seccomp":{"Mode":"custom","Profile":"eyJkZWZhdWx0QWN0aW9uIjoiU0NNUF9BQ1RfQUxMT1cifQ=="}}`), "DG-SEC-001", ""},
		{"service-apparmor-disabled", "/services/create", cspec(`,"Privileges":{"AppArmor":{"Mode":"disabled"}}`), "DG-SEC-002", ""},
	}
	for _, c := range cases {
		for name, target := range newerTargets(t, c.path, c.since) {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				libCase{name: c.name, target: target, body: c.body, rule: c.rule}.run(t, "")
			})
		}
	}
}

// An annotation sent under an API version older than 1.43 is dropped by the
// daemon; the guard drops it too, and the container has none.
func TestNewerFieldsVersionGate(t *testing.T) {
	requireImage(t)
	if !daemonKnows(t, "1.43") {
		// 20.10 refuses /v1.42 as too new after the guard; the gate is
		// still the guard's: it must let the request through.
		libCase{name: "v1.42-annotations", target: "/v1.42/containers/create", body: hc(`{"Annotations":{"org.criu.config":"/x"}}`)}.run(t, "")
		return
	}
	resp := h.docker.jsonReq(t, "POST", "/v1.42/containers/create", strings.ReplaceAll(hc(`{"Annotations":{"org.criu.config":"/x"}}`), "{img}", image))
	id := createdID(resp)
	if id == "" {
		t.Fatalf("create at v1.42 with annotations the daemon ignores: want 201, got %s", resp)
	}
	cleanupContainer(t, id)
	if got := field(inspect(t, id), "HostConfig", "Annotations"); got != nil {
		t.Errorf("HostConfig.Annotations after a v1.42 create = %v, want none", got)
	}
}

// The benign side of each field: allowed by the guard, and where the daemon
// knows the field, working.
func TestNewerFieldsBenign(t *testing.T) {
	requireImage(t)
	create := func(t *testing.T, body string) (string, *rawResponse) {
		t.Helper()
		resp := h.docker.jsonReq(t, "POST", "/containers/create", strings.ReplaceAll(body, "{img}", image))
		id := createdID(resp)
		if id != "" {
			cleanupContainer(t, id)
		}
		return id, resp
	}
	// knows: the daemon reads the field, so the create must succeed and the
	// container do what is checked; otherwise the guard must only not refuse.
	mustRun := func(t *testing.T, since, body, wantOut string) {
		t.Helper()
		id, resp := create(t, body)
		if !daemonKnows(t, since) {
			if resp.Status == 403 && strings.Contains(resp.Message(), "authorization denied by plugin") {
				t.Fatalf("refused by the guard: %s", resp)
			}
			t.Logf("daemon API %s predates %s: %s", daemonAPI(t), since, resp)
			return
		}
		if id == "" {
			t.Fatalf("create: want 201, got %s", resp)
		}
		code, out := runToCompletion(t, id)
		if code != 0 || !strings.Contains(out, wantOut) {
			t.Errorf("container exited %d with %q, want 0 and %q", code, out, wantOut)
		}
	}

	t.Run("image-mount", func(t *testing.T) {
		mustRun(t, "1.48", `{"Image":"{img}","Cmd":["sh","-c","ls /img/bin/busybox && touch /img/x 2>&1 || echo read-only"],
			"HostConfig":{"Mounts":[{"Type":"image","Source":"{img}","Target":"/img"}]}}`, "read-only")
	})
	t.Run("writable-cgroups-false", func(t *testing.T) {
		// Every cgroup file system in the container stays read-only (cgroup
		// v1 hierarchies, or the v2 mount).
		mustRun(t, "1.48", `{"Image":"{img}","Cmd":["sh","-c","echo [$(grep -E ' cgroup2? ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1 | sort -u | tr '\\n' ' ')]"],
			"HostConfig":{"SecurityOpt":["writable-cgroups=false"]}}`, "[ro ]")
	})
	t.Run("endpoint-sysctl-on-the-interface", func(t *testing.T) {
		mustRun(t, "1.46", `{"Image":"{img}","Cmd":["sh","-c","echo log_martians=$(cat /proc/sys/net/ipv4/conf/eth0/log_martians)"],
			"NetworkingConfig":{"EndpointsConfig":{"bridge":{"DriverOpts":{"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.log_martians=1"}}}}}`, "log_martians=1")
	})
	t.Run("read-only-non-recursive-workspace", func(t *testing.T) {
		mustRun(t, "1.44", `{"Image":"{img}","Cmd":["sh","-c","touch /w/x 2>&1; echo done"],
			"HostConfig":{"Mounts":[{"Type":"bind","Source":"`+h.workspace+`","Target":"/w","ReadOnly":true,"BindOptions":{"ReadOnlyNonRecursive":true}}]}}`, "Read-only file system")
	})
	t.Run("volume-subpath", func(t *testing.T) {
		const vol = "dg-it-subpath"
		t.Cleanup(func() { deleteQuietly(api + "/volumes/" + vol + "?force=1") })
		// Created first: the guard looks up every named volume a create
		// uses, and a daemon asks every plugin socket on the host about a
		// name it does not hold.
		expectStatus(t, "volume create", h.docker.jsonReq(t, "POST", api+"/volumes/create", `{"Name":"`+vol+`"}`), 201)
		id, resp := create(t, `{"Image":"{img}","Cmd":["sh","-c","mkdir -p /v/sub && echo inside > /v/sub/f"],"HostConfig":{"Binds":["`+vol+`:/v"]}}`)
		if id == "" {
			t.Fatalf("seed the volume: %s", resp)
		}
		if code, out := runToCompletion(t, id); code != 0 {
			t.Fatalf("seed the volume: exit %d %s", code, out)
		}
		mustRun(t, "1.45", `{"Image":"{img}","Cmd":["cat","/s/f"],"HostConfig":{"Mounts":[{"Type":"volume","Source":"`+vol+`","Target":"/s","VolumeOptions":{"Subpath":"sub"}}]}}`, "inside")
	})
	t.Run("endpoint-sysctl-on-connect", func(t *testing.T) {
		const net = "dg-it-sysctl-net"
		resp := h.docker.jsonReq(t, "POST", api+"/networks/create", `{"Name":"`+net+`"}`)
		expectStatus(t, "network create", resp, 201)
		t.Cleanup(func() { deleteQuietly(api + "/networks/" + net) })
		id, resp := create(t, `{"Image":"{img}","Cmd":["sh","-c","for i in eth0 eth1; do echo $(ip -o -4 addr show $i | awk '{print $4}')=$(cat /proc/sys/net/ipv4/conf/$i/log_martians); done"]}`)
		if id == "" {
			t.Fatalf("create: %s", resp)
		}
		r := h.docker.jsonReq(t, "POST", "/networks/"+net+"/connect", `{"Container":"`+id+`","EndpointConfig":{"DriverOpts":{"com.docker.network.endpoint.sysctls":"net.ipv4.conf.IFNAME.log_martians=1"}}}`)
		if r.Status == 403 && strings.Contains(r.Message(), "authorization denied by plugin") {
			t.Fatalf("network connect with an interface sysctl refused by the guard: %s", r)
		}
		expectStatus(t, "network connect", r, 200)
		if !daemonKnows(t, "1.46") {
			return
		}
		// Which of eth0 and eth1 is the connected network varies: tell them
		// apart by the network's subnet.
		var nw struct {
			IPAM struct{ Config []struct{ Subnet string } }
		}
		if err := json.Unmarshal(h.docker.do(t, rawRequest{Method: "GET", Target: api + "/networks/" + net}).Body, &nw); err != nil || len(nw.IPAM.Config) == 0 {
			t.Fatalf("network inspect: %v %+v", err, nw)
		}
		_, subnet, err := netpkg.ParseCIDR(nw.IPAM.Config[0].Subnet)
		if err != nil {
			t.Fatal(err)
		}
		code, out := runToCompletion(t, id)
		got := map[bool]string{}
		for _, l := range strings.Fields(out) {
			addr, v, _ := strings.Cut(l, "=")
			ip, _, _ := netpkg.ParseCIDR(addr)
			got[ip != nil && subnet.Contains(ip)] = v
		}
		if diff := cmp.Diff(map[bool]string{true: "1", false: "0"}, got); code != 0 || diff != "" {
			t.Errorf("log_martians by interface (true: on %s) exit %d, output %q (-want +got):\n%s", subnet, code, out, diff)
		}
	})
	t.Run("debug-vars-in-baseline", func(t *testing.T) {
		// Every daemon serves /debug/vars unprefixed; the baseline profile
		// allows it (DG-API-002 refuses it under restricted).
		libCase{name: "debug-vars", method: "GET", target: "/debug/vars", ok: 200}.run(t, "")
	})
	t.Run("service-no-new-privileges-and-default-modes", func(t *testing.T) {
		libCase{name: "service", target: "/services/create",
			body: cspec(`,"Privileges":{"NoNewPrivileges":true,"Seccomp":{"Mode":"default"},"AppArmor":{"Mode":"default"}}`)}.run(t, "")
	})
}

// An allow-listed annotation reaches the container: the legacy plugin is
// restarted with a data file, the managed one reinstalled with DG_DATA_FILE.
func TestNewerFieldsAnnotationAllowList(t *testing.T) {
	requireImage(t)
	const data = "guard:\n  allowed_annotations: [com.example.team, \"com.example.ci/*\"]\n"
	if h.mode == modeManaged {
		withGuardSettings(t, "DG_DATA_FILE="+managedHostFile(t, "annotations-data.yaml", data))
	} else {
		restartPlugin(t, "--data", writeData(t, data))
	}
	body := strings.ReplaceAll(hc(`{"Annotations":{"com.example.team":"ci","com.example.ci/job":"42"}}`), "{img}", image)
	resp := h.docker.jsonReq(t, "POST", "/containers/create", body)
	id := createdID(resp)
	if id == "" {
		t.Fatalf("create with allow-listed annotations: want 201, got %s", resp)
	}
	cleanupContainer(t, id)
	if daemonKnows(t, "1.43") {
		want := map[string]any{"com.example.team": "ci", "com.example.ci/job": "42"}
		if diff := cmp.Diff(want, field(inspect(t, id), "HostConfig", "Annotations")); diff != "" {
			t.Errorf("HostConfig.Annotations (-want +got):\n%s", diff)
		}
	}
	// Listed or not, a key the runtime acts on stays refused.
	libCase{name: "listed-prefix-runtime-key", target: "/containers/create", body: hc(`{"Annotations":{"com.example.team":"ci","org.criu.config":"/x"}}`), rule: "DG-ANN-002"}.run(t, "")
}
