// Package logfields names the structured log fields once, so that every
// decision line keeps the same keys for the people who alert on them.
package logfields

const (
	Phase      = "phase"       // request | response
	Method     = "method"      // HTTP method of the API call
	Path       = "path"        // decoded path without version prefix
	Endpoint   = "endpoint"    // route name, "" when unknown
	APIVersion = "api_version" // effective API version
	Decision   = "decision"    // allow | deny
	RuleIDs    = "rule_ids"    // IDs of the violations that denied
	User       = "user"        // TLS client CN, empty on the unix socket
	AuthMethod = "auth_method" // TLS or empty
	EvalMicros = "eval_us"     // time spent deciding, in microseconds
	// WouldDeny lists the rules in dry-run that objected to the request:
	// it was let through, and enforcing them would have refused it.
	WouldDeny = "would_deny"
	// Enforcement is "dryrun" on a line whose outcome dry-run decided (and
	// on every line of a guard wholly in dry-run); absent means enforced.
	Enforcement = "enforcement"
	Error       = "error"
	Policy      = "policy" // where the policy came from
	Socket      = "socket"
	Version     = "version"
	Metrics     = "metrics_addr" // where the metrics are served
	Trigger     = "trigger"      // what started a policy reload: sighup | watch
	DryRun      = "dryrun_rules" // rule IDs in dry-run (data.guard.enforcement)
	DockerHost  = "docker_host"  // the daemon's API the guard reads state from (the front: forwards to)
	TCP         = "tcp"          // the socket front's TLS address

	// The daemon in front of the guard (GET /version) and the API version
	// of requests without a /vX.Y prefix (plugin/apiversion).
	DaemonVersion           = "daemon_version"
	DaemonAPIVersion        = "daemon_api_version"
	DaemonMinAPIVersion     = "daemon_min_api_version"
	DefaultAPIVersion       = "default_api_version"
	DefaultAPIVersionSource = "default_api_version_source" // flag | daemon | assumed
)

// Decision values.
const (
	Allow = "allow"
	Deny  = "deny"
)
