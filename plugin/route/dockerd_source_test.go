package route

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// engineSource is a daemon whose router the table must cover, read from its
// own source.
type engineSource struct {
	name string
	// modVar, verVar name the module and its version in
	// scripts/lib/engine.sh, where the engines are pinned.
	modVar, verVar string
	// dir holds the router packages, inside the module.
	dir string
	// routers are the router files in the order the daemon registers them.
	routers []string
	// debugAnyMethod: the daemon registers the debug router's routes as
	// "/debug"+path with no method matcher (20.10's createMux).
	debugAnyMethod bool
	// notRegistered are the table's routes this daemon does not register,
	// with why the table holds them.
	notRegistered map[string]string
	// movedRouters are router files registered elsewhere in this daemon's
	// order than in the table's; each of their routes must match no other
	// route, so that their place cannot change what a request reaches.
	movedRouters map[string]bool
}

var engineSources = []engineSource{
	{
		name:   "20.10",
		modVar: "DG_E2010_MODULE", verVar: "DG_E2010_MODULE_VERSION",
		dir: "api/server/router",
		routers: []string{
			"checkpoint/checkpoint.go", "container/container.go", "image/image.go",
			"system/system.go", "volume/volume.go", "build/build.go", "session/session.go",
			"swarm/cluster.go", "plugin/plugin.go", "distribution/distribution.go",
			"grpc/grpc.go", "network/network.go", "debug/debug.go",
		},
		debugAnyMethod: true,
		notRegistered: map[string]string{
			"PUT /volumes/{name:.*}":             "v23, API 1.42: cluster volume update",
			"GET /images/{name:.*}/attestations": "v29, API 1.55",
		},
	},
	{
		name:   "29",
		modVar: "DG_E29_MODULE", verVar: "DG_E29_MODULE_VERSION",
		dir: "daemon/server/router",
		// daemon/command/daemon.go buildRouters: grpc last, after debug.
		routers: []string{
			"checkpoint/checkpoint.go", "container/container.go", "image/image.go",
			"system/system.go", "volume/volume.go", "build/build.go", "session/session.go",
			"swarm/cluster.go", "plugin/plugin.go", "distribution/distribution.go",
			"network/network.go", "debug/debug.go", "grpc/grpc.go",
		},
		notRegistered: map[string]string{
			"POST /containers/{name:.*}/copy": "20.10, API < 1.24",
		},
		movedRouters: map[string]bool{"grpc/grpc.go": true},
	},
}

var routeDecl = regexp.MustCompile(`router\.New(Get|Post|Put|Delete|Head|Options)Route\("([^"]+)"`)

// TestTableMatchesDockerdSource checks the table against each engine's own
// route declarations, read from its module source (downloaded through the
// go tool, as `go mod download` does): every route the daemon registers is
// in the table, in the daemon's relative order; every table route is
// registered by the daemon or listed as one it does not have. The source
// must be obtainable: this check never skips.
func TestTableMatchesDockerdSource(t *testing.T) {
	pins := enginePins(t)
	for _, e := range engineSources {
		t.Run(e.name, func(t *testing.T) {
			mod, ver := pins[e.modVar], pins[e.verVar]
			if mod == "" || ver == "" {
				t.Fatalf("scripts/lib/engine.sh pins no %s/%s", e.modVar, e.verVar)
			}
			dir := filepath.Join(moduleDir(t, mod+"@"+ver), e.dir)
			checkRouter(t, e, dir)
		})
	}
}

func checkRouter(t *testing.T, e engineSource, dir string) {
	index := map[string]int{}
	for i, r := range routes {
		index[r.Method+" "+r.Template] = i
	}
	found := map[string]bool{}
	last := -1
	for _, file := range e.routers {
		src, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("engine %s router source: %v", e.name, err)
		}
		decls := routeDecl.FindAllStringSubmatch(string(src), -1)
		if len(decls) == 0 {
			t.Errorf("%s: no route declarations found: has the source changed shape?", file)
		}
		for _, m := range decls {
			method, template := strings.ToUpper(m[1]), m[2]
			if file == "debug/debug.go" && e.debugAnyMethod {
				method, template = AnyMethod, "/debug"+template
			}
			key := method + " " + template
			i, ok := index[key]
			if !ok {
				// The table names routes one daemon registers for one
				// method and another for every method once, for every
				// method.
				if i, ok = index[AnyMethod+" "+template]; ok {
					key = AnyMethod + " " + template
				}
			}
			if !ok {
				t.Errorf("%s: route %s %s missing from the table", file, method, template)
				continue
			}
			found[key] = true
			if e.movedRouters[file] {
				checkAlone(t, routes[i])
				continue
			}
			if i < last {
				t.Errorf("%s: route %s is out of the daemon's registration order", file, key)
			}
			last = i
		}
	}
	for key := range index {
		if !found[key] && e.notRegistered[key] == "" {
			t.Errorf("table route %s is not registered by engine %s and not listed in its notRegistered", key, e.name)
		}
	}
	for key := range e.notRegistered {
		if found[key] {
			t.Errorf("notRegistered lists %s, which engine %s registers", key, e.name)
		}
	}
}

// checkAlone fails unless the literal path of r reaches r: no route before
// it in the table catches it, so its place in the order is immaterial.
func checkAlone(t *testing.T, r Route) {
	t.Helper()
	if strings.Contains(r.Template, "{") {
		t.Errorf("route %s %s has path variables: its place in the order matters; keep it where the daemon registers it", r.Method, r.Template)
		return
	}
	m, err := Parse(r.Method, r.Template)
	if err != nil || m.Route == nil || m.Endpoint != r.Endpoint {
		t.Errorf("%s %s does not route to %s (%+v, %v)", r.Method, r.Template, r.Endpoint, m.Route, err)
	}
}

// enginePins reads the module pins from scripts/lib/engine.sh.
func enginePins(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "scripts", "lib", "engine.sh"))
	if err != nil {
		t.Fatalf("the engine pins: %v", err)
	}
	pins := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && strings.HasPrefix(k, "DG_E") && !strings.ContainsAny(k, " \t$") {
			pins[k] = v
		}
	}
	return pins
}

// moduleDir downloads module@version through the go tool (from the module
// cache when it is there) and returns its source directory.
func moduleDir(t *testing.T, modVer string) string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Fatalf("no go tool to download %s: %v", modVer, err)
		}
	}
	cmd := exec.Command(goBin, "mod", "download", "-json", modVer)
	// Outside this module's build flags (-mod=vendor would refuse).
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &res); jerr != nil || err != nil || res.Error != "" || res.Dir == "" {
		t.Fatalf("go mod download %s: %v %s %s", modVer, err, res.Error, stderr.String())
	}
	return res.Dir
}
