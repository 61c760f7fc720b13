package guard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/dood-guard/dood-guard/plugin/apiversion"
	"github.com/dood-guard/dood-guard/plugin/decode"
	"github.com/dood-guard/dood-guard/plugin/normalize"
	"github.com/dood-guard/dood-guard/plugin/route"
	"github.com/dood-guard/dood-guard/plugin/verdict"
)

var malformed = verdict.New(verdict.MalformedRequest,
	"the authorization request is empty or malformed (a retried call loses its body; a protocol fault is never an approval)", "")

// read routes the request and decodes its body. Violations mean the guard
// cannot see the request as dockerd will execute it.
func (g *Guard) read(req authorization.Request, versions apiversion.Versions) (normalize.Request, any, []verdict.Violation) {
	nreq := normalize.Request{Phase: "request", User: req.User, AuthMethod: req.UserAuthNMethod, Method: req.RequestMethod}
	if req.RequestMethod == "" || req.RequestURI == "" {
		return nreq, nil, []verdict.Violation{malformed}
	}
	m, err := route.Parse(req.RequestMethod, req.RequestURI)
	if err != nil {
		return nreq, nil, []verdict.Violation{verdict.New(verdict.UnroutableTarget, "dockerd would not route this request target: "+err.Error(), "")}
	}
	nreq.Path, nreq.Endpoint, nreq.Params, nreq.Query = m.Path, m.Endpoint, m.Params, m.Query
	nreq.APIVersionGiven = m.APIVersion != ""
	nreq.APIVersion = versions.Effective(m.APIVersion)
	nreq.APIVersionSupported = versions.Supported(nreq.APIVersion)

	ct := header(req.RequestHeaders, "Content-Type")
	if decode.IsForm(ct) {
		return nreq, nil, []verdict.Violation{verdict.New(verdict.FormBody,
			"form-encoded bodies are refused: dockerd would read request parameters from a body the guard cannot see", "Content-Type")}
	}
	if m.Route == nil {
		if isMutating(req.RequestMethod) && !g.opts.AllowUnknownRoutes {
			return nreq, nil, []verdict.Violation{verdict.New(verdict.UnknownEndpoint,
				"unknown API endpoint "+req.RequestMethod+" "+m.Path+": the guard cannot judge what it does", "")}
		}
		return nreq, nil, nil
	}
	body, vs := g.readBody(m, nreq, req)
	return nreq, body, vs
}

// readBody applies the route's body contract: a handler that reads a body
// must have had it forwarded, and it must decode as the handler decodes it.
func (g *Guard) readBody(m route.Match, nreq normalize.Request, req authorization.Request) (any, []verdict.Violation) {
	notVisible := verdict.New(verdict.BodyNotVisible,
		"the "+m.Endpoint+" request body was not forwarded to the guard (dockerd forwards only application/json bodies under 1 MiB, and a retried call loses it): send a smaller JSON body", "")
	switch m.Route.Body {
	case route.BodyJSON:
		if len(req.RequestBody) == 0 {
			return nil, []verdict.Violation{notVisible}
		}
	case route.BodyJSONOptional:
		if len(req.RequestBody) == 0 {
			if bodyMayBeHidden(m, nreq.APIVersion, req.RequestHeaders) {
				return nil, []verdict.Violation{notVisible}
			}
			return nil, nil
		}
	default:
		return nil, nil
	}
	body, err := decode.Body(m.Endpoint, req.RequestBody)
	if err != nil {
		return nil, []verdict.Violation{verdict.New(verdict.BodyUndecodable, "the request body does not decode as dockerd decodes it: "+err.Error(), "")}
	}
	return body, nil
}

// bodyMayBeHidden reports whether a route that reads a JSON body only when
// one is sent may have been sent one the guard did not get. A body the
// daemon reads needs a Content-Type; it is absent only when Content-Length
// says 0 (a chunked body has no Content-Length). Start reads a body only on
// API versions below 1.24, and only past 7 bytes.
func bodyMayBeHidden(m route.Match, apiVersion string, headers map[string]string) bool {
	if header(headers, "Content-Type") == "" {
		return false
	}
	limit := int64(0)
	if m.Endpoint == "container.start" {
		if route.CompareVersions(apiVersion, "1.24") >= 0 {
			return false
		}
		limit = 7
	}
	n, err := strconv.ParseInt(header(headers, "Content-Length"), 10, 64)
	return err != nil || n > limit
}

// header looks a header up the way the flattened AuthZ header map allows:
// keys are canonical in practice, but nothing in the protocol promises it.
func header(h map[string]string, name string) string {
	if v, ok := h[name]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func isMutating(method string) bool {
	return method != http.MethodGet && method != http.MethodHead
}
