package guard

import (
	"encoding/json"
	"net"
	"net/http"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/docker/go-plugins-helpers/sdk"
)

// Serve answers the authorization plugin protocol on l until l is closed.
//
// It differs from go-plugins-helpers' authorization.Handler in two ways:
// an AuthZ request that does not decode is answered with a DG-REQ-001
// denial the docker user can read (the library answers 400 and then still
// calls the plugin with a zero request), and the response phase decodes only
// the method and URI — it never judges the response, so base64-decoding
// both bodies of every API call would be wasted work.
func (g *Guard) Serve(l net.Listener) error {
	h := sdk.NewHandler(`{"Implements": ["` + authorization.AuthZApiImplements + `"]}`)
	h.HandleFunc("/"+authorization.AuthZApiRequest, func(w http.ResponseWriter, r *http.Request) {
		var req authorization.Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			req = authorization.Request{} // read as malformed: DG-REQ-001
		}
		sdk.EncodeResponse(w, g.AuthZReq(req), false)
	})
	h.HandleFunc("/"+authorization.AuthZApiResponse, func(w http.ResponseWriter, r *http.Request) {
		var head struct {
			RequestMethod string
			RequestURI    string `json:"RequestUri"`
		}
		if err := json.NewDecoder(r.Body).Decode(&head); err != nil {
			head.RequestMethod, head.RequestURI = "", ""
		}
		sdk.EncodeResponse(w, g.AuthZRes(authorization.Request{RequestMethod: head.RequestMethod, RequestURI: head.RequestURI}), false)
	})
	return h.Serve(l)
}
