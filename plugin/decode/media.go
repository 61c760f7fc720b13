package decode

import (
	"mime"
	"strings"
)

// MediaType parses a Content-Type header value as dockerd does
// (mime.ParseMediaType: case-insensitive, parameters allowed). ok is false
// when the value does not parse; dockerd then treats the body as not JSON.
func MediaType(contentType string) (mediaType string, ok bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	return mt, true
}

// IsJSON reports whether dockerd would forward a body with this Content-Type
// to the plugin and accept it as JSON in its handlers.
func IsJSON(contentType string) bool {
	mt, ok := MediaType(contentType)
	return ok && mt == "application/json"
}

// IsForm reports whether net/http's ParseForm or ParseMultipartForm would
// read request parameters out of a body with this Content-Type. dockerd's
// handlers read parameters with r.Form and r.FormValue, so such a body can
// carry parameters the plugin never sees.
func IsForm(contentType string) bool {
	mt, ok := MediaType(contentType)
	if !ok {
		return false
	}
	return mt == "application/x-www-form-urlencoded" || strings.HasPrefix(mt, "multipart/")
}
