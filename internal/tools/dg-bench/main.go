// Command dg-bench is the load generator of scripts/bench.sh: it calls a
// docker daemon's API on its unix socket and records latencies, and it
// reports them. It is a benchmark tool, not part of the product.
//
//	dg-bench capture -cli DOCKER -api-version V -workspace DIR -out FILE
//	                                                       the CLI's create request for a CI job (capture.go)
//	dg-bench version -host SOCK                            print the daemon's "Version ApiVersion MinAPIVersion"
//	dg-bench setup  -host SOCK [-api /vX.Y] -image IMG     create the container "inspect" reads; print its id
//	dg-bench probe  -host SOCK [-api /vX.Y] -image IMG -want none|noop|guard [-noop SOCK]
//	                                                       succeed when the daemon uses that configuration
//	dg-bench load   -host SOCK [-api /vX.Y] -label L -round N -workload W [-clients C] [-n N] [-id ID] [-request FILE] -out FILE
//	dg-bench report [-floor noop] [-guard guard] [-rss "label=KiB ..."] [-guard-rss-kib N -guard-calls N] FILE
//
// Workloads: ping (GET /_ping), inspect (GET /containers/ID/json), create
// (the captured request, a new container name each call, then DELETE
// /containers/ID: both latencies are recorded, as "create" and "remove").
// -api is the API version prefix of every call but the ping (the one the
// CLI negotiated, read from the captured create).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dood-guard/dood-guard/internal/goldenhttp"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "capture":
		err = capture(os.Args[2:])
	case "version":
		err = version(os.Args[2:])
	case "setup":
		err = setup(os.Args[2:])
	case "probe":
		err = probe(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	case "report":
		err = report(os.Args[2:], os.Stdout)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dg-bench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: dg-bench capture|version|setup|probe|load|report [flags] (see the package comment)")
	os.Exit(2)
}

// api is the API version prefix of the calls (-api).
var api = "/v1.41"

func apiFlag(fs *flag.FlagSet) {
	fs.StringVar(&api, "api", api, "API version prefix of the calls")
}

// client talks HTTP to a unix socket over kept-alive connections, as the
// docker CLI and SDK do.
func client(sock string, conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", sock)
			},
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
		},
		Timeout: 2 * time.Minute,
	}
}

// call does one request and reads the whole answer.
func call(c *http.Client, method, path string, body []byte) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://docker"+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// createBody is what the docker 20.10 CLI sends for `docker create IMAGE
// true`: every field spelled out, zero values included.
func createBody(image string) []byte {
	return []byte(`{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["true"],"Image":"` + image + `","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":null,"BlkioDeviceWriteBps":null,"BlkioDeviceReadIOps":null,"BlkioDeviceWriteIOps":null,"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,"KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,"OomKillDisable":false,"PidsLimit":null,"Ulimits":null,"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{}}}`)
}

func create(c *http.Client, image, name string, privileged bool) (string, int, error) {
	body := createBody(image)
	if privileged {
		body = bytes.Replace(body, []byte(`"Privileged":false`), []byte(`"Privileged":true`), 1)
	}
	return createAt(c, api+"/containers/create?name="+url.QueryEscape(name), body)
}

// createAt posts a create to uri and returns the new container's id.
func createAt(c *http.Client, uri string, body []byte) (string, int, error) {
	code, out, err := call(c, "POST", uri, body)
	if err != nil || code != http.StatusCreated {
		return "", code, fmt.Errorf("POST %s: %d %s %v", uri, code, bytes.TrimSpace(out), err)
	}
	var r struct{ ID string }
	if err := json.Unmarshal(out, &r); err != nil {
		return "", code, err
	}
	return r.ID, code, nil
}

func remove(c *http.Client, id string) error {
	code, out, err := call(c, "DELETE", api+"/containers/"+id+"?force=1", nil)
	if err != nil || code != http.StatusNoContent {
		return fmt.Errorf("remove %s: %d %s %v", id, code, bytes.TrimSpace(out), err)
	}
	return nil
}

// version prints what the daemon says it is (GET /version, unprefixed:
// the daemon's own API version).
func version(args []string) error {
	fs := flag.NewFlagSet("version", flag.ExitOnError)
	host := fs.String("host", "", "daemon API socket")
	fs.Parse(args)
	code, out, err := call(client(*host, 1), "GET", "/version", nil)
	if err != nil || code != http.StatusOK {
		return fmt.Errorf("GET /version: %d %s %v", code, bytes.TrimSpace(out), err)
	}
	var v struct{ Version, APIVersion, MinAPIVersion string }
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("GET /version: %w", err)
	}
	if v.Version == "" || v.APIVersion == "" {
		return fmt.Errorf("GET /version: no version in %s", out)
	}
	fmt.Println(v.Version, v.APIVersion, v.MinAPIVersion)
	return nil
}

func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ExitOnError)
	host := fs.String("host", "", "daemon API socket")
	image := fs.String("image", "dood-guard-busybox:latest", "image")
	apiFlag(fs)
	fs.Parse(args)
	id, _, err := create(client(*host, 1), *image, "dgbench-inspect", false)
	if err != nil {
		return err
	}
	fmt.Println(id)
	return nil
}

// probe tells the configurations apart: the guard refuses a privileged
// create; the no-op plugin counts the calls it gets; without a plugin,
// neither happens.
func probe(args []string) error {
	fs := flag.NewFlagSet("probe", flag.ExitOnError)
	host := fs.String("host", "", "daemon API socket")
	image := fs.String("image", "dood-guard-busybox:latest", "image")
	want := fs.String("want", "", "none, noop or guard")
	noopSock := fs.String("noop", "", "the no-op plugin's socket")
	timeout := fs.Duration("timeout", 20*time.Second, "how long to wait for the configuration")
	apiFlag(fs)
	fs.Parse(args)
	c := client(*host, 1)
	nc := client(*noopSock, 1)
	counts := func() int64 {
		if *noopSock == "" {
			return -1
		}
		_, out, err := call(nc, "GET", "/noop/counts", nil)
		if err != nil {
			return -1
		}
		var m map[string]int64
		if json.Unmarshal(out, &m) != nil {
			return -1
		}
		return m["req"]
	}
	deadline := time.Now().Add(*timeout)
	var last string
	for time.Now().Before(deadline) {
		// A probe left by a turn whose remove failed (the daemon was
		// reloading its plugins) would make every create a name conflict.
		remove(c, "dgbench-probe")
		before := counts()
		id, code, err := create(c, *image, "dgbench-probe", true)
		denied := code == http.StatusForbidden
		if id != "" {
			remove(c, id)
		}
		noopSaw := counts() > before && before >= 0
		got := "none"
		switch {
		case denied:
			got = "guard"
		case noopSaw:
			got = "noop"
		case err != nil:
			got = "error: " + err.Error()
		}
		if got == *want {
			return nil
		}
		last = got
		time.Sleep(300 * time.Millisecond)
	}
	return fmt.Errorf("daemon is not using configuration %q (last seen: %s)", *want, last)
}

// sample is one workload run: the latencies of its calls.
type sample struct {
	Label    string  `json:"label"`
	Workload string  `json:"workload"`
	Clients  int     `json:"clients"`
	Round    int     `json:"round"`
	Elapsed  int64   `json:"elapsed_ns"`
	Lat      []int64 `json:"lat_ns"`
	Errors   int     `json:"errors"`
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	host := fs.String("host", "", "daemon API socket")
	label := fs.String("label", "", "configuration label")
	round := fs.Int("round", 0, "round number")
	workload := fs.String("workload", "ping", "ping, inspect or create")
	clients := fs.Int("clients", 1, "concurrent clients")
	n := fs.Int("n", 1000, "calls (iterations for create) in all")
	warm := fs.Int("warmup", 50, "unrecorded calls first")
	id := fs.String("id", "", "container id for inspect")
	request := fs.String("request", "", "for create: the captured request (dg-bench capture)")
	out := fs.String("out", "", "append JSON lines here")
	apiFlag(fs)
	fs.Parse(args)
	c := client(*host, *clients)
	var createURI *url.URL
	var createBody []byte
	if *workload == "create" {
		if *request == "" {
			return errors.New("load: create needs -request (dg-bench capture)")
		}
		r, err := goldenhttp.Read(*request)
		if err != nil {
			return err
		}
		if createURI, err = url.Parse(r.RequestURI); err != nil || r.RequestMethod != "POST" {
			return fmt.Errorf("load: %s is not a POST to a URI: %v", *request, err)
		}
		createBody = r.RequestBody
	}
	// createURIFor names the container as the CLI's --name would.
	createURIFor := func(name string) string {
		u := *createURI
		q := u.Query()
		q.Set("name", name)
		u.RawQuery = q.Encode()
		return u.RequestURI()
	}

	var mu sync.Mutex
	lat := map[string][]int64{}
	errs := map[string]int{}
	// A run with failing calls measures nothing: after maxErrors the
	// workers stop (a plugin gone makes each call wait for dockerd's
	// retries, and a load of thousands would take hours).
	const maxErrors = 10
	var failed atomic.Int64
	record := func(w string, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs[w]++
			failed.Add(1)
			if errs[w] <= 3 {
				fmt.Fprintf(os.Stderr, "dg-bench: %s %s: %v\n", *label, w, err)
			}
			return
		}
		lat[w] = append(lat[w], int64(d))
	}
	op := func(worker, i int, rec bool) {
		switch *workload {
		case "ping":
			t := time.Now()
			code, _, err := call(c, "GET", "/_ping", nil)
			if err == nil && code != 200 {
				err = fmt.Errorf("status %d", code)
			}
			if rec {
				record("ping", time.Since(t), err)
			}
		case "inspect":
			t := time.Now()
			code, _, err := call(c, "GET", api+"/containers/"+*id+"/json", nil)
			if err == nil && code != 200 {
				err = fmt.Errorf("status %d", code)
			}
			if rec {
				record("inspect", time.Since(t), err)
			}
		case "create":
			name := fmt.Sprintf("job-%s-%d-%d-%d", *label, *round, worker, i)
			if !rec {
				name += "-w"
			}
			uri := createURIFor(name)
			t := time.Now()
			cid, _, err := createAt(c, uri, createBody)
			if rec {
				record("create", time.Since(t), err)
			}
			if cid == "" {
				return
			}
			t = time.Now()
			err = remove(c, cid)
			if rec {
				record("remove", time.Since(t), err)
			}
		}
	}
	if *workload != "ping" && *workload != "inspect" && *workload != "create" {
		return fmt.Errorf("unknown workload %q", *workload)
	}
	for i := 0; i < *warm; i++ {
		op(0, i, false)
	}
	var wg sync.WaitGroup
	start := time.Now()
	per := *n / *clients
	for w := 0; w < *clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per && failed.Load() < maxErrors; i++ {
				op(w, i, true)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)

	f, err := os.OpenFile(*out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	names := make([]string, 0, len(lat)+len(errs))
	for w := range lat {
		names = append(names, w)
	}
	for w := range errs {
		if _, ok := lat[w]; !ok {
			names = append(names, w)
		}
	}
	sort.Strings(names)
	total := 0
	for _, w := range names {
		name := w
		if *workload == "ping" {
			name = fmt.Sprintf("ping-%dc", *clients)
		}
		s := sample{Label: *label, Workload: name, Clients: *clients, Round: *round, Elapsed: int64(elapsed), Lat: lat[w], Errors: errs[w]}
		if err := enc.Encode(s); err != nil {
			return err
		}
		total += errs[w]
	}
	if total > 0 {
		return fmt.Errorf("%s %s: %d failed calls", *label, *workload, total)
	}
	return nil
}

type stats struct {
	n        int
	p50, p99 time.Duration
	rate     float64 // calls per second
	errors   int
	byRound  map[int]time.Duration // p50 of each round
}

// roundP50s lists the rounds' p50s in round order.
func (st stats) roundP50s() []time.Duration {
	rounds := make([]int, 0, len(st.byRound))
	for r := range st.byRound {
		rounds = append(rounds, r)
	}
	sort.Ints(rounds)
	out := make([]time.Duration, len(rounds))
	for i, r := range rounds {
		out[i] = st.byRound[r]
	}
	return out
}

// pairedRatio is the median, over the rounds both configurations ran, of
// a/b in that round: each round's ratio compares turns minutes apart, so
// drift between rounds (a noisy neighbour, the daemon's own state) cancels.
func pairedRatio(a, b map[int]time.Duration) string {
	var rs []float64
	for round, x := range a {
		if y, ok := b[round]; ok && y > 0 {
			rs = append(rs, float64(x)/float64(y))
		}
	}
	if len(rs) == 0 {
		return "-"
	}
	sort.Float64s(rs)
	m := rs[len(rs)/2]
	if len(rs)%2 == 0 {
		m = (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
	}
	return strconv.FormatFloat(m, 'f', 3, 64)
}

func pct(sorted []int64, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)-1) + 0.5)
	return time.Duration(sorted[i])
}

// latencyTargets are issue 15's end-to-end targets: dood-guard's p50 as a
// multiple of the floor's.
var latencyTargets = []struct {
	workload string
	max      float64
}{{"create", 1.03}, {"ping-1c", 1.05}, {"ping-4c", 1.05}, {"inspect", 1.05}}

// The RSS target: dood-guard's peak RSS after this many API calls.
const (
	rssLimitMiB    = 40
	minCallsForRSS = 100_000
)

type targetResult struct{ what, measured, verdict string }

func metOrNot(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**not met**"
}

func report(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	floor := fs.String("floor", "noop", "label of the no-op plugin")
	guard := fs.String("guard", "guard", "label of dood-guard")
	none := fs.String("none", "none", "label of the daemon without plugin")
	rss := fs.String("rss", "", `peak RSS per label, "label=KiB ..."`)
	calls := fs.String("calls", "", `plugin calls per label, "label=N ..."`)
	guardRSS := fs.Int64("guard-rss-kib", -1, "dood-guard's peak RSS in KiB, for the RSS target")
	guardCalls := fs.Int64("guard-calls", -1, "API calls dood-guard decided, for the RSS target")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return errors.New("report: one samples file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	type key struct{ label, workload string }
	lat := map[key][]int64{}
	elapsed := map[key]int64{}
	errs := map[key]int{}
	byRound := map[key]map[int]time.Duration{}
	rounds := map[int]bool{}
	var workloads []string
	seenW := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var s sample
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return err
		}
		k := key{s.Label, s.Workload}
		lat[k] = append(lat[k], s.Lat...)
		elapsed[k] += s.Elapsed
		errs[k] += s.Errors
		r := append([]int64(nil), s.Lat...)
		sort.Slice(r, func(i, j int) bool { return r[i] < r[j] })
		if byRound[k] == nil {
			byRound[k] = map[int]time.Duration{}
		}
		byRound[k][s.Round] = pct(r, 0.5)
		rounds[s.Round] = true
		if !seenW[s.Workload] {
			seenW[s.Workload] = true
			workloads = append(workloads, s.Workload)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	get := func(label, wl string) stats {
		k := key{label, wl}
		l := append([]int64(nil), lat[k]...)
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		st := stats{n: len(l), p50: pct(l, 0.5), p99: pct(l, 0.99), errors: errs[k], byRound: byRound[k]}
		if elapsed[k] > 0 {
			st.rate = float64(len(l)) / (float64(elapsed[k]) / 1e9)
		}
		return st
	}
	us := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 0, 64) }
	fmt.Fprintf(w, "%d rounds; latency in µs; p50 and p99 over every call of every round; for create and remove, calls/s counts create+remove pairs\n\n", len(rounds))
	fmt.Fprintf(w, "| workload | config | calls | p50 | p99 | calls/s | p50 per round |\n|---|---|---|---|---|---|---|\n")
	labels := []string{*none, *floor, *guard}
	for _, wl := range workloads {
		for _, lb := range labels {
			st := get(lb, wl)
			if st.n == 0 && st.errors == 0 {
				continue
			}
			var per []string
			for _, d := range st.roundP50s() {
				per = append(per, us(d))
			}
			errNote := ""
			if st.errors > 0 {
				errNote = fmt.Sprintf(" (%d errors)", st.errors)
			}
			fmt.Fprintf(w, "| %s | %s | %d%s | %s | %s | %.0f | %s |\n", wl, lb, st.n, errNote, us(st.p50), us(st.p99), st.rate, strings.Join(per, " "))
		}
	}
	fmt.Fprintf(w, "\n| workload | %s p50 / %s p50 | median of the rounds' ratios | %s p50 − %s p50 | %s p50 − %s p50 |\n|---|---|---|---|---|\n", *guard, *floor, *guard, *floor, *floor, *none)
	for _, wl := range workloads {
		g, fl, no := get(*guard, wl), get(*floor, wl), get(*none, wl)
		if g.n == 0 || fl.n == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %.3f | %s | %+.0f µs | %+.0f µs |\n", wl, float64(g.p50)/float64(fl.p50), pairedRatio(g.byRound, fl.byRound), float64(g.p50-fl.p50)/1e3, float64(fl.p50-no.p50)/1e3)
	}
	var ts []targetResult
	for _, t := range latencyTargets {
		g, fl := get(*guard, t.workload), get(*floor, t.workload)
		r := targetResult{what: fmt.Sprintf("%s: %s p50 ≤ %.2f× %s p50", t.workload, *guard, t.max, *floor)}
		switch {
		case g.n == 0 || fl.n == 0:
			r.measured, r.verdict = "not run", "not measured"
		default:
			ratio := float64(g.p50) / float64(fl.p50)
			r.measured = fmt.Sprintf("%.3f (median of the rounds' ratios %s)", ratio, pairedRatio(g.byRound, fl.byRound))
			r.verdict = metOrNot(ratio <= t.max)
		}
		ts = append(ts, r)
	}
	r := targetResult{what: fmt.Sprintf("%s peak RSS < %d MiB after ≥ %d API calls", *guard, rssLimitMiB, minCallsForRSS)}
	switch {
	case *guardRSS < 0 || *guardCalls < 0:
		r.measured, r.verdict = "-", "not measured"
	case *guardCalls < minCallsForRSS:
		r.measured = fmt.Sprintf("%.1f MiB after %d calls", float64(*guardRSS)/1024, *guardCalls)
		r.verdict = "not measured (too few calls: raise ROUNDS or the N's)"
	default:
		r.measured = fmt.Sprintf("%.1f MiB after %d calls", float64(*guardRSS)/1024, *guardCalls)
		r.verdict = metOrNot(*guardRSS < rssLimitMiB*1024)
	}
	ts = append(ts, r)
	fmt.Fprintf(w, "\nTargets (issue 15; a latency target is judged on the p50 over every round):\n\n| target | measured | |\n|---|---|---|\n")
	for _, t := range ts {
		fmt.Fprintf(w, "| %s | %s | %s |\n", t.what, t.measured, t.verdict)
	}
	if *rss != "" || *calls != "" {
		fmt.Fprintln(w)
	}
	if *calls != "" {
		fmt.Fprintf(w, "plugin calls served (AuthZReq + AuthZRes): %s\n", *calls)
	}
	if *rss != "" {
		fmt.Fprintf(w, "plugin peak RSS (VmHWM): %s\n", *rss)
	}
	return nil
}
