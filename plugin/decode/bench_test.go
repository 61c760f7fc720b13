package decode

import (
	"testing"

	"github.com/dood-guard/dood-guard/internal/goldenhttp"
)

// BenchmarkBody decodes the bodies of the staged golden requests
// (goldenhttp.Staged) into moby's types, as the daemon's handlers do.
func BenchmarkBody(b *testing.B) {
	reqs, err := goldenhttp.ReadStaged("../guard/testdata")
	if err != nil {
		b.Fatal(err)
	}
	endpoints := map[string]string{"benign-cli-create": "container.create", "benign-compose-create": "container.create", "benign-exec-nonroot": "exec.create"}
	for _, name := range goldenhttp.Staged {
		endpoint, ok := endpoints[name]
		if !ok {
			continue // no body
		}
		body := reqs[name].RequestBody
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Body(endpoint, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
