package route

import (
	"net/url"
	"strings"
)

// maxQueryParams mirrors the limit newer Go releases put in url.ParseQuery;
// a daemon built with them fails ParseForm past it.
const maxQueryParams = 10000

// parseQuery follows url.ParseQuery (which net/http's ParseForm uses) but
// keeps only the first value of each key, the one r.Form.Get returns.
//
// Where ParseQuery merely drops a bad pair and reports an error, the whole
// query is refused: since Go 1.17 a ";" separator makes ParseForm fail, and
// dockerd's httputils.ParseForm then fails the request, while handlers that
// skip it would act on the pairs that did parse. Neither is worth allowing.
func parseQuery(raw string) (map[string]string, error) {
	if raw == "" {
		return nil, nil
	}
	if strings.Count(raw, "&") >= maxQueryParams {
		return nil, ErrQuery
	}
	var m map[string]string
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if strings.Contains(pair, ";") {
			return nil, ErrQuery
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, ErrQuery
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			return nil, ErrQuery
		}
		if m == nil {
			m = make(map[string]string, strings.Count(raw, "&")+1)
		}
		if _, seen := m[k]; !seen {
			m[k] = v
		}
	}
	return m, nil
}
