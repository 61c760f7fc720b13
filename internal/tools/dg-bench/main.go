// Command dg-bench is the load generator of scripts/bench.sh: it calls a
// docker daemon's API on its unix socket and records latencies, and it
// reports them. It is a benchmark tool, not part of the product.
//
//	dg-bench setup  -host SOCK -image IMG                 create the container "inspect" reads; print its id
//	dg-bench probe  -host SOCK -image IMG -want none|noop|guard [-noop SOCK]
//	                                                       succeed when the daemon uses that configuration
//	dg-bench load   -host SOCK -label L -round N -workload W [-clients C] [-n N] [-id ID] [-image IMG] -out FILE
//	dg-bench report [-floor noop] [-guard guard] [-rss "label=KiB ..."] FILE
//
// Workloads: ping (GET /_ping), inspect (GET /containers/ID/json), create
// (POST /containers/create then DELETE /containers/ID: both latencies are
// recorded, as "create" and "remove").
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
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
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
	fmt.Fprintln(os.Stderr, "usage: dg-bench setup|probe|load|report [flags] (see the package comment)")
	os.Exit(2)
}

const api = "/v1.41"

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
	code, out, err := call(c, "POST", api+"/containers/create?name="+name, body)
	if err != nil || code != http.StatusCreated {
		return "", code, fmt.Errorf("create %s: %d %s %v", name, code, bytes.TrimSpace(out), err)
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

func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ExitOnError)
	host := fs.String("host", "", "daemon API socket")
	image := fs.String("image", "dood-guard-busybox:latest", "image")
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
	image := fs.String("image", "dood-guard-busybox:latest", "image for create")
	out := fs.String("out", "", "append JSON lines here")
	fs.Parse(args)
	c := client(*host, *clients)

	var mu sync.Mutex
	lat := map[string][]int64{}
	errs := map[string]int{}
	record := func(w string, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs[w]++
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
			name := fmt.Sprintf("dgbench-%s-%d-%d-%d", *label, *round, worker, i)
			if !rec {
				name += "-w"
			}
			t := time.Now()
			cid, _, err := create(c, *image, name, false)
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
			for i := 0; i < per; i++ {
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

func report(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	floor := fs.String("floor", "noop", "label of the no-op plugin")
	guard := fs.String("guard", "guard", "label of dood-guard")
	none := fs.String("none", "none", "label of the daemon without plugin")
	rss := fs.String("rss", "", `peak RSS per label, "label=KiB ..."`)
	calls := fs.String("calls", "", `plugin calls per label, "label=N ..."`)
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
