package route

import (
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dockerdRouters lists dockerd 20.10's routers in initRouter order, then
// the debug router createMux adds last.
var dockerdRouters = []string{
	"checkpoint/checkpoint.go", "container/container.go", "image/image.go",
	"system/system.go", "volume/volume.go", "build/build.go", "session/session.go",
	"swarm/cluster.go", "plugin/plugin.go", "distribution/distribution.go",
	"grpc/grpc.go", "network/network.go", "debug/debug.go",
}

// newerRoutes are routes the table holds that 20.10 does not register.
var newerRoutes = map[string]bool{
	"PUT /volumes/{name:.*}":             true, // v23, API 1.42
	"GET /images/{name:.*}/attestations": true, // v29, API 1.55
}

var routeDecl = regexp.MustCompile(`router\.New(Get|Post|Put|Delete|Head|Options)Route\("([^"]+)"`)

// TestTableMatchesDockerdSource checks the table against dockerd 20.10's
// own route declarations when its module is in the module cache: every
// route present, in the same relative order.
func TestTableMatchesDockerdSource(t *testing.T) {
	modcache := os.Getenv("GOMODCACHE")
	if modcache == "" {
		modcache = filepath.Join(build.Default.GOPATH, "pkg", "mod")
	}
	dir := filepath.Join(modcache, "github.com", "docker", "docker@v20.10.24+incompatible", "api", "server", "router")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("dockerd 20.10.24 source not available: %v", err)
	}
	index := map[string]int{}
	for i, r := range routes {
		index[r.Method+" "+r.Template] = i
	}
	found := map[string]bool{}
	last := -1
	for _, file := range dockerdRouters {
		src, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range routeDecl.FindAllStringSubmatch(string(src), -1) {
			method, template := strings.ToUpper(m[1]), m[2]
			if file == "debug/debug.go" {
				// createMux registers these as "/debug"+path with no
				// method matcher and no version prefix.
				method, template = AnyMethod, "/debug"+template
			}
			key := method + " " + template
			i, ok := index[key]
			if !ok {
				t.Errorf("%s: route %s missing from the table", file, key)
				continue
			}
			if i < last {
				t.Errorf("%s: route %s is out of registration order", file, key)
			}
			last = i
			found[key] = true
		}
	}
	for key := range index {
		if !found[key] && !newerRoutes[key] {
			t.Errorf("table route %s is not registered by dockerd 20.10 and not listed in newerRoutes", key)
		}
	}
}
