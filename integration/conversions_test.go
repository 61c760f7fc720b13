//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/moby/profiles/seccomp"
)

// Requests whose meaning the daemon settles after reading them (issue 11,
// items 2, 3 and 7): swarm's conversion of a service mount (Type
// upper-cased, empty = bind, templates expanded on the node), what a
// custom seccomp profile allows, the uid a User resolves to. Each attack
// must be refused with its rule ID; the ordinary use next to it must work.

// svc is a service create body running the test image with extra
// ContainerSpec fields.
func svc(name, containerSpec string) string {
	return `{"Name":"` + name + `","TaskTemplate":{"ContainerSpec":{"Image":"{img}","Command":["sleep","300"]` + containerSpec + `}}}`
}

// withSwarm makes the harness's daemon a single-node swarm manager for the
// rest of the test, and leaves the swarm when it ends. The daemon runs in
// its own network namespace: the loopback address is enough for one node.
func withSwarm(t *testing.T) {
	t.Helper()
	resp := h.docker.do(t, rawRequest{
		Method: "POST", Target: api + "/swarm/init", Timeout: 60 * time.Second,
		Header: [][2]string{{"Content-Type", "application/json"}},
		Body:   []byte(`{"ListenAddr":"127.0.0.1:2377","AdvertiseAddr":"127.0.0.1:2377"}`),
	})
	if resp.Status != 200 {
		t.Fatalf("swarm init: want 200, got %s", resp)
	}
	t.Cleanup(func() {
		r, err := h.docker.Do(rawRequest{Method: "POST", Target: api + "/swarm/leave?force=1", Timeout: 60 * time.Second})
		if err != nil || r.Status != 200 {
			t.Errorf("swarm leave: %v %s", err, r)
		}
	})
}

// deleteService removes a service should a request have created one.
func deleteService(t *testing.T, name string) {
	t.Cleanup(func() { deleteQuietly(api + "/services/" + name) })
}

func TestSwarmServiceConversions(t *testing.T) {
	requireImage(t)
	withSwarm(t)
	ws := h.workspace
	lh := newLibraryHost(t)
	for _, c := range []attackCase{
		// swarm reads an empty Type as BIND and upper-cases the others
		{name: "mount-without-type-binds-root", body: svc("dg-it-conv-1", `,"Mounts":[{"Source":"/","Target":"/host"}]`), rule: "DG-MNT-001"},
		{name: "mount-with-empty-type-binds-the-socket", body: svc("dg-it-conv-2", `,"Mounts":[{"Type":"","Source":"/var/run/docker.sock","Target":"/s"}]`), rule: "DG-MNT-001"},
		{name: "mount-type-BIND", body: svc("dg-it-conv-3", `,"Mounts":[{"Type":"BIND","Source":"/","Target":"/host"}]`), rule: "DG-MNT-001"},
		{name: "mount-type-with-dotless-i", body: svc("dg-it-conv-4", `,"Mounts":[{"Type":"b\u0131nd","Source":"/etc","Target":"/e"}]`), rule: "DG-MNT-001"},
		{name: "mount-type-Volume-with-bind-options", body: svc("dg-it-conv-5", `,"Mounts":[{"Type":"Volume","Source":"dg-it-conv-v","Target":"/v","VolumeOptions":{"DriverConfig":{"Options":{"type":"none","o":"bind","device":"/"}}}}]`), rule: "DG-MNT-002"},
		// the agent expands templates after every check
		{name: "bind-source-template-climbing-to-root", body: svc("dg-it-conv-6", `,"Mounts":[{"Type":"bind","Source":"`+ws+`/{{\"../../../../../../..\"}}","Target":"/host"}]`), rule: "DG-SWARM-004"},
		{name: "bind-source-template-from-a-label", body: `{"Name":"dg-it-conv-7","Labels":{"p":"/"},"TaskTemplate":{"ContainerSpec":{"Image":"{img}","Mounts":[{"Type":"bind","Source":"/{{index .Service.Labels \"p\"}}","Target":"/host"}]}}}`, rule: "DG-SWARM-004|DG-MNT-001"},
		// a bind source as this host resolves it, where the task runs
		{name: "bind-through-a-symlink-to-var-run", body: svc("dg-it-conv-9", `,"Mounts":[{"Source":"`+lh.linkToRun+`","Target":"/r"}]`), rule: "DG-MNT-001"},
		// seccomp: a custom profile that allows what the default refuses
		{name: "seccomp-profile-allowing-unshare-mount-keyctl", target: "/v1.44/services/create", body: svc("dg-it-conv-8", `,"Privileges":{"Seccomp":{"Mode":"custom","Profile":`+profileBytes(weakProfile)+`}}`), rule: "DG-SEC-001"},
	} {
		t.Run("attack/"+c.name, func(t *testing.T) {
			if c.name == "bind-through-a-symlink-to-var-run" && h.mode == modeManaged {
				t.Skip("host-aware paths need the managed plugin's --host-root; legacy mode only (as in TestLibrary)")
			}
			target := c.target
			if target == "" {
				target = api + "/services/create"
			}
			if i := strings.Index(c.body, `"Name":"`); i >= 0 {
				name := c.body[i+8:]
				deleteService(t, name[:strings.Index(name, `"`)])
			}
			runAttack(t, c, target)
		})
	}

	// The ordinary use beside them: a service without a Type binding the
	// CI workspace, with a volume per task slot, runs, and its task's
	// container has those mounts.
	t.Run("benign/type-less-workspace-bind-and-templated-volume-name", func(t *testing.T) {
		deleteService(t, "dg-it-conv-ok")
		body := strings.ReplaceAll(svc("dg-it-conv-ok", `,"Mounts":[{"Source":"`+ws+`","Target":"/w"},{"Type":"VOLUME","Source":"dg-it-conv-{{.Task.Slot}}","Target":"/data"}]`), "{img}", image)
		resp := h.docker.do(t, rawRequest{Method: "POST", Target: api + "/services/create", Body: []byte(body),
			Header: [][2]string{{"Content-Type", "application/json"}}, Timeout: 60 * time.Second})
		expectStatus(t, "service create", resp, 201)
		t.Cleanup(func() { deleteQuietly(api + "/volumes/dg-it-conv-1") })
		mounts := taskMounts(t, "dg-it-conv-ok")
		want := map[string]string{"/w": "bind " + ws, "/data": "volume dg-it-conv-1"}
		for dst, w := range want {
			if mounts[dst] != w {
				t.Errorf("task container mount %s = %q, want %q (all: %v)", dst, mounts[dst], w, mounts)
			}
		}
	})
}

// taskMounts waits for the service's task container to run and returns its
// mounts by destination, as "type source" (a volume's name for volumes).
func taskMounts(t *testing.T, service string) map[string]string {
	t.Helper()
	filter := `{"label":["com.docker.swarm.service.name=` + service + `"],"status":["running"]}`
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		resp := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/containers/json?filters=" + url.QueryEscape(filter)})
		var list []struct {
			Mounts []struct{ Type, Source, Destination, Name string }
		}
		if resp.Status == 200 && json.Unmarshal(resp.Body, &list) == nil && len(list) > 0 {
			out := map[string]string{}
			for _, m := range list[0].Mounts {
				src := m.Source
				if m.Type == "volume" {
					src = m.Name
				}
				out[m.Destination] = m.Type + " " + src
			}
			return out
		}
		time.Sleep(500 * time.Millisecond)
	}
	r := h.docker.do(t, rawRequest{Method: "GET", Target: api + "/tasks?filters=" + url.QueryEscape(`{"service":["`+service+`"]}`)})
	t.Fatalf("no running task container for service %s after 90 s; tasks: %s", service, r)
	return nil
}

// weakProfile refuses by default but allows what Docker's default profile
// refuses: enough for a shell to unshare a user namespace and mount.
const weakProfile = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["unshare","mount","keyctl","setns"],"action":"SCMP_ACT_ALLOW"}]}`

// profileBytes is a profile as a service's Privileges.Seccomp.Profile
// ([]byte: base64 in JSON).
func profileBytes(p string) string {
	b, _ := json.Marshal([]byte(p))
	return string(b)
}

// seccompOpts is a SecurityOpt list carrying an inline profile.
func seccompOpts(p string) string {
	b, _ := json.Marshal([]string{"seccomp=" + p})
	return string(b)
}

// defaultProfileWithout is Docker's default profile without one syscall:
// what an admin who tightens the default writes.
func defaultProfileWithout(t *testing.T, name string) string {
	t.Helper()
	p := seccomp.DefaultProfile()
	for _, s := range p.Syscalls {
		kept := s.Names[:0]
		for _, n := range s.Names {
			if n != name {
				kept = append(kept, n)
			}
		}
		s.Names = kept
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSeccompProfiles(t *testing.T) {
	requireImage(t)
	for _, c := range []attackCase{
		{name: "profile-allowing-unshare-mount-keyctl", body: hc(`{"SecurityOpt":` + seccompOpts(weakProfile) + `}`), rule: "DG-SEC-001"},
		{name: "empty-profile-is-no-filter", body: hc(`{"SecurityOpt":` + seccompOpts(`{}`) + `}`), rule: "DG-SEC-001"},
		{name: "profile-keys-in-capitals", body: hc(`{"SecurityOpt":` + seccompOpts(`{"DEFAULTACTION":"SCMP_ACT_ERRNO","SYSCALLS":[{"NAMES":["bpf","init_module"],"ACTION":"SCMP_ACT_ALLOW"}]}`) + `}`), rule: "DG-SEC-001"},
		{name: "default-profile-plus-clone3", body: hc(`{"SecurityOpt":` + seccompOpts(`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["clone3"],"action":"SCMP_ACT_ALLOW"}]}`) + `}`), rule: "DG-SEC-001"},
		{name: "unconfined-after-a-custom-profile", body: hc(`{"SecurityOpt":["seccomp={}","seccomp=unconfined"]}`), rule: "DG-SEC-001"},
	} {
		t.Run("attack/"+c.name, func(t *testing.T) { runAttack(t, c, createPath) })
	}
	t.Run("benign/default-profile-without-keyctl-runs", func(t *testing.T) {
		body := map[string]any{"Image": image, "Cmd": []string{"sh", "-c", "echo confined"},
			"HostConfig": map[string]any{"SecurityOpt": []string{"seccomp=" + defaultProfileWithout(t, "keyctl")}}}
		resp := h.docker.jsonReq(t, "POST", createPath, body)
		id := createdID(resp)
		if id == "" {
			t.Fatalf("create with a profile narrower than the default: want 201, got %s", resp)
		}
		cleanupContainer(t, id)
		if code, out := runToCompletion(t, id); code != 0 || !strings.Contains(out, "confined") {
			t.Errorf("run: exit %d, output %q", code, out)
		}
	})
}

// TestRootUserSpellings: under the restricted profile, every spelling of
// uid 0 the runtime accepts is refused for creates and execs, and so is a
// name only the image's /etc/passwd resolves; numeric non-root users run.
func TestRootUserSpellings(t *testing.T) {
	requireImage(t)
	if h.mode == modeManaged {
		withGuardSettings(t, "DG_PROFILE=restricted")
	} else {
		restartPlugin(t, "--profile", "restricted")
	}
	ctr := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"sleep", "600"}, "User": "1000:1000"})
	startContainer(t, ctr)
	for _, u := range []string{"+0", "-0", "000", "0:0", "0:anything", "-0:1000", ":1000", "root", "root:root", "nobody"} {
		q, _ := json.Marshal(u)
		t.Run(fmt.Sprintf("attack/create-as-%s", u), func(t *testing.T) {
			runAttack(t, attackCase{body: `{"Image":"{img}","Cmd":["id","-u"],"User":` + string(q) + `}`, rule: "DG-USER-001"}, createPath)
		})
		t.Run(fmt.Sprintf("attack/exec-as-%s", u), func(t *testing.T) {
			runAttack(t, attackCase{body: `{"Cmd":["id","-u"],"User":` + string(q) + `}`, rule: "DG-USER-001"}, api+"/containers/"+ctr+"/exec")
		})
	}
	t.Run("benign/create-as-+1000:1000-runs-as-1000", func(t *testing.T) {
		id := createContainer(t, map[string]any{"Image": image, "Cmd": []string{"id", "-u"}, "User": "+1000:1000"})
		if code, out := runToCompletion(t, id); code != 0 || strings.TrimSpace(out) != "1000" {
			t.Errorf("run as +1000: exit %d, output %q", code, out)
		}
	})
	t.Run("benign/exec-as-01000", func(t *testing.T) {
		resp := h.docker.jsonReq(t, "POST", api+"/containers/"+ctr+"/exec", map[string]any{"Cmd": []string{"id", "-u"}, "User": "01000"})
		expectStatus(t, "exec create as 01000", resp, 201)
	})
}
