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
	Error      = "error"
	Policy     = "policy" // where the policy came from
	Socket     = "socket"
	Version    = "version"

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
