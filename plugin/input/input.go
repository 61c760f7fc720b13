// Package input defines the document a policy sees as `input`: the request
// as the daemon's router read it, its body as the daemon decodes it, the
// facts derived from it and the state of the objects it points at. The json
// tags are the field names the Rego library reads; docs/input.md is
// generated from these types and their comments (cmd/gendoc).
//
// Types here carry no behaviour beyond their conversion to an OPA value
// (Value): plugin/normalize fills them, plugin/state reads and extends
// them, plugin/engine evaluates their value.
package input

// Document is the whole input document.
type Document struct {
	// "request" (AuthZReq) or "response" (AuthZRes).
	Phase string `json:"phase"`
	// The TLS client's common name; empty on the unix socket.
	User string `json:"user"`
	// "TLS" or empty.
	AuthMethod string `json:"auth_method"`
	// The HTTP method.
	Method string `json:"method"`
	// The request path, percent-decoded, without the version prefix.
	Path string `json:"path"`
	// The effective API version: the /vX.Y prefix, or the daemon's default.
	APIVersion string `json:"api_version"`
	// Whether the request carried a /vX.Y prefix.
	APIVersionGiven bool `json:"api_version_given"`
	// False when the daemon will refuse that version (below its minimum or
	// above its newest) after the plugins answered; true while unknown.
	APIVersionSupported bool `json:"api_version_supported"`
	// The route name (container.create); "" when the route is unknown.
	Endpoint string `json:"endpoint"`
	// The path parameters of the route template.
	Params map[string]string `json:"params"`
	// The decoded query; the first value of a repeated key, as dockerd reads it.
	Query map[string]string `json:"query"`
	// The decoded body re-encoded canonically (moby's field names), an OPA
	// value built once by plugin/normalize; absent when the request has none.
	// Its shape per endpoint: "body per endpoint" above.
	Body any `json:"body,omitzero"`
	// The facts derived from the body; absent when the endpoint has none.
	Facts *Facts `json:"facts,omitzero"`
	// The existing objects the request points at, read from the daemon;
	// absent without a state source or when the request points at none.
	State *State `json:"state,omitzero"`
}
