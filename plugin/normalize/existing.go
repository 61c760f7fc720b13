package normalize

import (
	"fmt"
	"github.com/dood-guard/dood-guard/plugin/normalize/jsonterm"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/moby/moby/api/types/container"
)

// Existing renders a container that already exists (its inspected Config
// and HostConfig) as a create of it would be read now: the body a create
// would carry (Config's fields with HostConfig beside them) and the same
// facts, bind sources resolved on the host at this moment through
// opts.Resolve. The policy then judges an existing container with the very
// rules that judge a new one (policies/dood/rules/state.rego).
//
// Inspect shows the effective cgroup namespace mode: on cgroup v1 hosts
// "host" is what every create that names no mode gets, so it is read as not
// given, as `dood-guard audit` reads it.
func Existing(cfg *container.Config, hc *container.HostConfig, opts Options) (body map[string]any, facts *input.Facts, err error) {
	if cfg == nil {
		cfg = &container.Config{}
	}
	if hc == nil {
		hc = &container.HostConfig{}
	}
	if opts.CgroupV1 && hc.CgroupnsMode == container.CgroupnsModeHost {
		c := *hc
		c.CgroupnsMode = ""
		hc = &c
	}
	facts, err = containerFacts(hc, "", opts)
	if err != nil {
		return nil, nil, err
	}
	v, err := jsonterm.Plain(cfg)
	if err != nil {
		return nil, nil, err
	}
	body, ok := v.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("container config renders as %T", v)
	}
	if body["HostConfig"], err = jsonterm.Plain(hc); err != nil {
		return nil, nil, err
	}
	return body, facts, nil
}

// RecordedBind is the fact of a bind mount an existing container has
// without a HostConfig entry of its own (taken with VolumesFrom): its
// recorded source, resolved on the host now like any bind source.
func RecordedBind(source, target string, readOnly bool, p string, opts Options) input.Mount {
	return bindFact(cleanSource(source), target, readOnly, false, p, opts.Resolve)
}
