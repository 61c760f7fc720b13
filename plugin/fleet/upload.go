package fleet

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/dood-guard/dood-guard/plugin/decisionlog"
	"github.com/dood-guard/dood-guard/plugin/logfields"
	"github.com/google/uuid"
	"github.com/open-policy-agent/opa/v1/plugins/logs"
	"github.com/open-policy-agent/opa/v1/server"
	"github.com/sirupsen/logrus"
)

// DecisionPath is the path of the uploaded decision events: the decision
// document every policy defines (engine.Query).
const DecisionPath = "dood/decision"

// upload hands every decision to OPA's decision-log plugin, which buffers,
// rate-limits, masks and drops (data.system.log.mask and .drop in a
// bundle), and uploads them as OPA does (docs/fleet.md). An event holds
// the fields of the local decision line and nothing else: input has the
// request's (phase, method, path, endpoint, api_version, user,
// auth_method), result the outcome's (decision, rule_ids on a denial,
// would_deny, enforcement, eval_us). Never the body, nor the policy's
// input document: the body carries environment variables and secrets.
type upload struct {
	logs    *logs.Plugin
	log     logrus.FieldLogger
	bundles *atomic.Pointer[map[string]server.BundleInfo]
	failed  atomic.Bool
}

func (u *upload) Log(r decisionlog.Record) {
	in := any(map[string]any{
		logfields.Phase:      r.Phase,
		logfields.Method:     r.Method,
		logfields.Path:       r.Path,
		logfields.Endpoint:   r.Endpoint,
		logfields.APIVersion: r.APIVersion,
		logfields.User:       r.User,
		logfields.AuthMethod: r.AuthMethod,
	})
	res := map[string]any{logfields.EvalMicros: r.EvalMicros}
	if r.Denied {
		res[logfields.Decision] = logfields.Deny
		res[logfields.RuleIDs] = jsonStrings(r.RuleIDs)
	} else {
		res[logfields.Decision] = logfields.Allow
	}
	if len(r.WouldDeny) > 0 {
		res[logfields.WouldDeny] = jsonStrings(r.WouldDeny)
	}
	if r.Enforcement != "" {
		res[logfields.Enforcement] = r.Enforcement
	}
	result := any(res)
	info := &server.Info{
		DecisionID: uuid.NewString(),
		Path:       DecisionPath,
		Timestamp:  time.Now(),
		Input:      &in,
		Results:    &result,
	}
	if b := u.bundles.Load(); b != nil {
		info.Bundles = *b
	}
	if err := u.logs.Log(context.Background(), info); err != nil {
		// Said once: a failing upload must not double the local log.
		if !u.failed.Swap(true) {
			u.log.WithError(err).Error("queueing a decision for upload failed; later failures are not logged")
		}
	}
}

// jsonStrings is ss as a JSON array (null when nil, as the local line has it).
func jsonStrings(ss []string) any {
	if ss == nil {
		return nil
	}
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
