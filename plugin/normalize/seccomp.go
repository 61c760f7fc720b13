package normalize

import "github.com/dood-guard/dood-guard/plugin/seccompdiff"

// seccompFact describes the seccomp profile the container will run with:
// the last "seccomp" security option wins, as in the daemon's
// parseSecurityOpt. mode is "default" (none, empty or "builtin"),
// "unconfined", or "custom"; a custom profile carries what
// seccompdiff.Analyze found for the container's capabilities
// (add and drop as normalised facts).
func seccompFact(secOpts []any, add, drop []any) map[string]any {
	var opt map[string]any
	for _, o := range secOpts {
		if m := o.(map[string]any); m["key"] == "seccomp" {
			opt = m
		}
	}
	if opt == nil {
		return map[string]any{"mode": "default", "path": ""}
	}
	value, p := opt["value"].(string), opt["path"].(string)
	switch value {
	case "", "builtin":
		return map[string]any{"mode": "default", "path": p}
	case "unconfined":
		return map[string]any{"mode": "unconfined", "path": p}
	}
	r := seccompdiff.Analyze(value, seccompdiff.EffectiveCapabilities(factValues(add), factValues(drop)))
	refused := make([]any, 0, len(r.AllowsRefused))
	for _, s := range r.AllowsRefused {
		refused = append(refused, s)
	}
	return map[string]any{
		"mode": "custom", "path": p, "digest": r.Digest, "error": r.Error,
		"unconfined": r.Unconfined, "default_action": r.DefaultAction, "default_allows": r.DefaultAllows,
		"allows_refused_syscalls": refused,
	}
}

func factValues(facts []any) []string {
	out := make([]string, 0, len(facts))
	for _, f := range facts {
		out = append(out, f.(map[string]any)["value"].(string))
	}
	return out
}
