// Package seccompdiff says what a custom seccomp profile allows that
// Docker's default profile refuses. Both profiles are read as the daemon
// reads them (github.com/moby/profiles/seccomp, the package dockerd uses):
// decoded with encoding/json, then narrowed to the rules that apply to the
// container's capabilities, this host's architecture and kernel.
//
// The reading, rule by rule:
//   - A profile with no defaultAction and no syscalls turns seccomp off
//     (the daemon applies no filter): Unconfined.
//   - A defaultAction other than SCMP_ACT_ERRNO, SCMP_ACT_KILL*,
//     SCMP_ACT_TRAP lets every unlisted syscall through: DefaultAllows.
//     SCMP_ACT_TRACE and SCMP_ACT_NOTIFY count as allowing (a tracer or
//     listener the container may run decides), as do ALLOW and LOG.
//   - Otherwise every name in a rule whose action allows (the same list) is
//     allowed by the profile. It is weaker than the default when the default
//     profile, for the same capabilities, does not allow that name without
//     argument conditions, unless the custom rule repeats one of the
//     default's argument-conditioned rules for it exactly (a profile copied
//     from the default keeps, say, its clone flags filter).
//   - The default's rules for other architectures count as allowing: a
//     syscall the default allows on some architecture is no refusal of it.
//     Its capability conditions are the container's (a capability the
//     request adds also widens the default profile, as in the daemon), its
//     kernel conditions this host's.
package seccompdiff

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// Report is what a custom profile allows compared with the default.
type Report struct {
	// Digest is "sha256:" and the hex SHA-256 of the profile text as the
	// daemon receives it.
	Digest string
	// Error is why the profile does not load (the daemon then refuses to
	// start the container); empty when it loads.
	Error string
	// Unconfined: the profile turns seccomp off.
	Unconfined bool
	// DefaultAction as written; DefaultAllows when it lets unlisted
	// syscalls through.
	DefaultAction string
	DefaultAllows bool
	// AllowsRefused lists, sorted, the syscalls the profile allows that the
	// default profile refuses for the same container.
	AllowsRefused []string
}

// refusing are the actions that stop a syscall; every other action lets it
// run or lets something outside the filter decide.
var refusing = map[specs.LinuxSeccompAction]bool{
	specs.ActKill: true, specs.ActKillProcess: true, specs.ActKillThread: true,
	specs.ActTrap: true, specs.ActErrno: true,
}

// Analyze reads profile (the JSON text after "seccomp=") for a container
// whose bounding capability set is caps (names as "CAP_X"; see
// EffectiveCapabilities).
func Analyze(profile string, caps []string) Report {
	sum := sha256.Sum256([]byte(profile))
	r := Report{Digest: "sha256:" + hex.EncodeToString(sum[:])}
	p, err := load(profile, caps)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	if p == nil {
		r.Unconfined = true
		return r
	}
	r.DefaultAction = string(p.DefaultAction)
	if !refusing[p.DefaultAction] {
		r.DefaultAllows = true
		return r
	}
	def, err := defaultFor(caps)
	if err != nil {
		// The built-in profile always loads; should it not, judge
		// against nothing allowed, which refuses more, never less.
		def = &allowed{plain: map[string]bool{}, conditioned: map[string][]string{}}
	}
	seen := map[string]bool{}
	for _, s := range p.Syscalls {
		if refusing[s.Action] {
			continue
		}
		for _, name := range s.Names {
			if def.plain[name] || (len(s.Args) > 0 && slices.Contains(def.conditioned[name], argsKey(s.Args))) {
				continue
			}
			seen[name] = true
		}
	}
	for name := range seen {
		r.AllowsRefused = append(r.AllowsRefused, name)
	}
	sort.Strings(r.AllowsRefused)
	return r
}

// load is seccomp.LoadProfile, which panics on some hostile profiles
// ("syscalls":[null] dereferences a nil rule; so does the daemon, which
// then fails the request): a panic is an error here.
func load(profile string, caps []string) (p *specs.LinuxSeccomp, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("the seccomp profile reader fails on this profile: %v", r)
		}
	}()
	return seccomp.LoadProfile(profile, specFor(caps))
}

// allowed is what the default profile lets through: names with no
// argument condition, and for the others the argument conditions.
type allowed struct {
	plain       map[string]bool
	conditioned map[string][]string
}

var (
	defaultsMu sync.Mutex
	defaults   = map[string]*allowed{}
)

// defaultFor is the default profile's allowances for a capability set,
// computed once per set.
func defaultFor(caps []string) (*allowed, error) {
	key := strings.Join(caps, ",")
	defaultsMu.Lock()
	defer defaultsMu.Unlock()
	if a, ok := defaults[key]; ok {
		return a, nil
	}
	d := seccomp.DefaultProfile()
	for _, s := range d.Syscalls {
		if s.Includes != nil {
			s.Includes.Arches = nil
		}
		if s.Excludes != nil {
			s.Excludes.Arches = nil
		}
	}
	text, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode the default seccomp profile: %w", err)
	}
	p, err := seccomp.LoadProfile(string(text), specFor(caps))
	if err != nil {
		return nil, fmt.Errorf("load the default seccomp profile: %w", err)
	}
	a := &allowed{plain: map[string]bool{}, conditioned: map[string][]string{}}
	for _, s := range p.Syscalls {
		if refusing[s.Action] {
			continue
		}
		for _, name := range s.Names {
			if len(s.Args) == 0 {
				a.plain[name] = true
			} else {
				a.conditioned[name] = append(a.conditioned[name], argsKey(s.Args))
			}
		}
	}
	if len(defaults) > 64 {
		clear(defaults) // capability sets are few; never let them pile up
	}
	defaults[key] = a
	return a, nil
}

// argsKey is a comparable spelling of a rule's argument conditions, in
// order (libseccomp ANDs them, so order does not change the meaning, but
// a copied rule keeps it).
func argsKey(args []specs.LinuxSeccompArg) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprintf("%d:%s:%d:%d", a.Index, a.Op, a.Value, a.ValueTwo)
	}
	return strings.Join(parts, ";")
}

func specFor(caps []string) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
}
