package normalize

import (
	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/dood-guard/dood-guard/plugin/seccompdiff"
)

// seccompFact describes the seccomp profile the container will run with:
// the last "seccomp" security option wins, as in the daemon's
// parseSecurityOpt. mode is "default" (none, empty or "builtin"),
// "unconfined", or "custom"; a custom profile carries what
// seccompdiff.Analyze found for the container's capabilities
// (add and drop as normalised facts).
func seccompFact(secOpts []input.SecurityOption, add, drop []input.StringFact) *input.Seccomp {
	var opt *input.SecurityOption
	for i := range secOpts {
		if secOpts[i].Key == "seccomp" {
			opt = &secOpts[i]
		}
	}
	if opt == nil {
		return &input.Seccomp{Mode: "default"}
	}
	switch opt.Value {
	case "", "builtin":
		return &input.Seccomp{Mode: "default", Path: opt.Path}
	case "unconfined":
		return &input.Seccomp{Mode: "unconfined", Path: opt.Path}
	}
	r := seccompdiff.Analyze(opt.Value, seccompdiff.EffectiveCapabilities(factValues(add), factValues(drop)))
	return &input.Seccomp{
		Mode: "custom", Path: opt.Path, Digest: &r.Digest, Error: &r.Error,
		Unconfined: &r.Unconfined, DefaultAction: &r.DefaultAction, DefaultAllows: &r.DefaultAllows,
		AllowsRefusedSyscalls: nonNil(r.AllowsRefused),
	}
}

func factValues(facts []input.StringFact) []string {
	out := make([]string, 0, len(facts))
	for _, f := range facts {
		out = append(out, f.Value)
	}
	return out
}
