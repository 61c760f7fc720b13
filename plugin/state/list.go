package state

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/apiversion"
)

// These calls serve `dood-guard audit`: what exists, read raw so that it
// can be judged as if it were being created now.

func httpGet(ctx context.Context, target string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+target, nil)
}

// ContainerIDs lists every container, running or not.
func (s *Source) ContainerIDs(ctx context.Context) ([]string, error) {
	body, _, err := s.mustGet(ctx, "/containers/json?all=1")
	if err != nil {
		return nil, err
	}
	var list []struct {
		ID string `json:"Id"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("%w: container list: %v", ErrUnavailable, err)
	}
	ids := make([]string, 0, len(list))
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// ContainerInspect is the raw inspect answer; found is false when the
// container went away meanwhile.
func (s *Source) ContainerInspect(ctx context.Context, id string) ([]byte, bool, error) {
	return s.get(ctx, "/containers/"+url.PathEscape(id)+"/json")
}

// Volume is a volume as listed by the daemon.
type Volume struct {
	Name    string
	Driver  string
	Options map[string]string
	Labels  map[string]string
}

// Volumes lists every volume.
func (s *Source) Volumes(ctx context.Context) ([]Volume, error) {
	body, _, err := s.mustGet(ctx, "/volumes")
	if err != nil {
		return nil, err
	}
	var list struct{ Volumes []Volume }
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("%w: volume list: %v", ErrUnavailable, err)
	}
	return list.Volumes, nil
}

func (s *Source) mustGet(ctx context.Context, target string) ([]byte, bool, error) {
	body, found, err := s.get(ctx, target)
	if err == nil && !found {
		err = fmt.Errorf("%w: GET %s: not found", ErrUnavailable, strings.SplitN(target, "?", 2)[0])
	}
	return body, found, err
}

// DaemonVersion asks the daemon what it is (GET /version, unprefixed: every
// daemon answers it): its engine version and the API versions it serves.
func (s *Source) DaemonVersion(ctx context.Context) (apiversion.Daemon, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	body, _, err := s.mustGet(ctx, "/version")
	if err != nil {
		return apiversion.Daemon{}, err
	}
	var d apiversion.Daemon
	if err := json.Unmarshal(body, &d); err != nil {
		return apiversion.Daemon{}, fmt.Errorf("%w: version: %v", ErrUnavailable, err)
	}
	if err := d.Validate(); err != nil {
		return apiversion.Daemon{}, fmt.Errorf("%w: version: %v", ErrUnavailable, err)
	}
	return d, nil
}
