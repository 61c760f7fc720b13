package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeDocker answers the calls `dood-guard audit` makes, as a Docker 20.10
// daemon.
func fakeDocker(t *testing.T, containers map[string]string, volumes string) string {
	t.Helper()
	return fakeDockerVersion(t, version2010, containers, volumes)
}

const (
	version2010 = `{"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux"}`
	version29   = `{"Version":"29.8.0","ApiVersion":"1.56","MinAPIVersion":"1.40","Os":"linux"}`
)

// fakeDockerVersion is fakeDocker answering GET /version with version ("":
// a daemon that cannot say).
func fakeDockerVersion(t *testing.T, version string, containers map[string]string, volumes string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dg-audit")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/version" && version != "":
			w.Write([]byte(version))
		case p == "/containers/json":
			var list []map[string]string
			for id := range containers {
				list = append(list, map[string]string{"Id": id})
			}
			json.NewEncoder(w).Encode(list)
		case strings.HasPrefix(p, "/containers/") && strings.HasSuffix(p, "/json"):
			ref := strings.TrimSuffix(strings.TrimPrefix(p, "/containers/"), "/json")
			for id, body := range containers {
				if id == ref || strings.Contains(body, `"Name":"/`+ref+`"`) {
					w.Write([]byte(body))
					return
				}
			}
			http.Error(w, `{"message":"no such container"}`, http.StatusNotFound)
		case p == "/volumes":
			w.Write([]byte(volumes))
		case strings.HasPrefix(p, "/volumes/"):
			http.Error(w, `{"message":"no such volume"}`, http.StatusNotFound)
		default:
			http.Error(w, "unexpected", http.StatusTeapot)
		}
	}))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return "unix://" + sock
}

func TestAudit(t *testing.T) {
	host := fakeDocker(t, map[string]string{
		"aaaa": `{"Id":"aaaa","Name":"/root","Config":{"Image":"busybox","Cmd":["sleep","1"]},"HostConfig":{"Binds":["/:/host"],"NetworkMode":"default","CgroupnsMode":"private"},"Mounts":[{"Type":"bind","Source":"/","Destination":"/host"}]}`,
		"bbbb": `{"Id":"bbbb","Name":"/web","Config":{"Image":"busybox"},"HostConfig":{"Binds":["/srv/ci/workspace:/w"],"NetworkMode":"default","CgroupnsMode":"private"}}`,
		"cccc": `{"Id":"cccc","Name":"/thief","Config":{"Image":"busybox"},"HostConfig":{"VolumesFrom":["root"],"NetworkMode":"default","CgroupnsMode":"private"}}`,
	}, `{"Volumes":[{"Name":"hostroot","Driver":"local","Options":{"type":"none","o":"bind","device":"/"}},{"Name":"cache","Driver":"local","Options":null}]}`)

	var out, errb bytes.Buffer
	if code := run([]string{"audit", "--json", "--docker-host", host}, nil, &out, &errb); code != 3 {
		t.Fatalf("exit %d, want 3; stderr: %s", code, errb.String())
	}
	var rep auditReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range rep.Findings {
		got[f.Kind+" "+f.Name] = f.RuleIDs
	}
	want := map[string][]string{
		"container root":  {"DG-MNT-001"},
		"container thief": {"DG-STATE-003"},
		"volume hostroot": {"DG-MNT-002"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if rep.Containers != 3 || rep.Volumes != 2 {
		t.Errorf("checked %d containers and %d volumes, want 3 and 2", rep.Containers, rep.Volumes)
	}

	out.Reset()
	if code := run([]string{"audit", "--docker-host", host}, nil, &out, &errb); code != 3 || !strings.Contains(out.String(), "3 would be refused") {
		t.Errorf("table (exit %d):\n%s", code, out.String())
	}

	clean := fakeDocker(t, map[string]string{}, `{"Volumes":[]}`)
	if code := run([]string{"audit", "--docker-host", clean}, nil, &out, &errb); code != 0 {
		t.Errorf("clean daemon: exit %d, want 0", code)
	}
	if code := run([]string{"audit", "--docker-host", "unix:///nonexistent/docker.sock"}, nil, &out, &errb); code != 1 {
		t.Errorf("no daemon: exit %d, want 1", code)
	}
}

// On a daemon that serves BuildKit's gRPC API past every authorization
// plugin (29.2 and later), audit says so; on 20.10 it does not. Neither
// changes the exit status, which is about the findings.
func TestAuditWarnsOfTheUnguardedGRPCPath(t *testing.T) {
	for _, tt := range []struct {
		name, version string
		warn          bool
	}{
		{"docker-29.8", version29, true},
		{"docker-20.10", version2010, false},
		{"version-unknown", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			host := fakeDockerVersion(t, tt.version, map[string]string{}, `{"Volumes":[]}`)
			var out, errb bytes.Buffer
			if code := run([]string{"audit", "--json", "--docker-host", host}, nil, &out, &errb); code != 0 {
				t.Fatalf("exit %d, want 0; stderr: %s", code, errb.String())
			}
			var rep auditReport
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if got := len(rep.Warnings) == 1 && strings.Contains(rep.Warnings[0], "application/grpc"); got != tt.warn {
				t.Errorf("warnings %q, want the gRPC warning: %v", rep.Warnings, tt.warn)
			}
			out.Reset()
			run([]string{"audit", "--docker-host", host}, nil, &out, &errb)
			if got := strings.Contains(out.String(), "WARNING: this daemon (Docker 29.2 or later)"); got != tt.warn {
				t.Errorf("table output warns: %v, want %v:\n%s", got, tt.warn, out.String())
			}
		})
	}
}

// audit reports the daemon whose API versions it judged under.
func TestAuditReportsTheDaemon(t *testing.T) {
	for _, version := range []string{version2010, version29} {
		host := fakeDockerVersion(t, version, map[string]string{}, `{"Volumes":[]}`)
		var out, errb bytes.Buffer
		if code := run([]string{"audit", "--json", "--docker-host", host}, nil, &out, &errb); code != 0 {
			t.Fatalf("exit %d; stderr: %s", code, errb.String())
		}
		var rep auditReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		var want struct{ ApiVersion string }
		json.Unmarshal([]byte(version), &want)
		if rep.Daemon == nil || rep.Daemon.APIVersion != want.ApiVersion {
			t.Errorf("report's daemon %+v, want API %s", rep.Daemon, want.ApiVersion)
		}
	}
}
