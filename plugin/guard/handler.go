package guard

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/docker/go-plugins-helpers/authorization"
	"github.com/docker/go-plugins-helpers/sdk"
)

// manifest is the answer to dockerd's handshake, as go-plugins-helpers
// writes it.
const manifest = `{"Implements": ["` + authorization.AuthZApiImplements + `"]}` + "\n"

// Handler answers the authorization plugin protocol: the handshake and
// both phases of every API call.
//
// It differs from go-plugins-helpers' authorization.Handler in two ways:
// an AuthZ request that does not decode is answered with a DG-REQ-001
// denial the docker user can read (the library answers 400 and then still
// calls the plugin with a zero request), and the response phase decodes only
// the method and URI — it never judges the response, so base64-decoding
// both bodies of every API call would be wasted work.
func (g *Guard) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/Plugin.Activate", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", sdk.DefaultContentTypeV1_1)
		io.WriteString(w, manifest)
	})
	mux.HandleFunc("/"+authorization.AuthZApiRequest, func(w http.ResponseWriter, r *http.Request) {
		var req authorization.Request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			req = authorization.Request{} // read as malformed: DG-REQ-001
		}
		sdk.EncodeResponse(w, g.AuthZReq(req), false)
	})
	mux.HandleFunc("/"+authorization.AuthZApiResponse, func(w http.ResponseWriter, r *http.Request) {
		var head struct {
			RequestMethod string
			RequestURI    string `json:"RequestUri"`
		}
		if err := json.NewDecoder(r.Body).Decode(&head); err != nil {
			head.RequestMethod, head.RequestURI = "", ""
		}
		sdk.EncodeResponse(w, g.AuthZRes(authorization.Request{RequestMethod: head.RequestMethod, RequestURI: head.RequestURI}), false)
	})
	return mux
}

// Serve answers the plugin protocol on l until l is closed.
func (g *Guard) Serve(l net.Listener) error {
	// Only dockerd connects, but a stuck peer must not hold a connection
	// forever.
	srv := &http.Server{Handler: g.Handler(), ReadHeaderTimeout: time.Minute}
	return srv.Serve(l)
}
