package state

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// eventsFilter selects the events that change which object a name, ID
// prefix or volume name designates. What a container is (privileged,
// mounts, namespaces, capabilities, labels) cannot change after create.
var eventsFilter = url.QueryEscape(`{"type":{"container":true,"volume":true},"event":{"create":true,"destroy":true,"rename":true}}`)

// Watch follows the daemon's event stream and invalidates the cache on
// every create, destroy or rename (a container's: what containers are
// called and the volumes found missing; a volume's creation: the volumes
// found missing; anything else: everything), until ctx ends. While the stream is down
// (the daemon starts after the plugin) it retries with a backoff, and the
// TTL alone bounds staleness. connected is called after each (re)connect,
// and may be nil.
func (s *Source) Watch(ctx context.Context, connected func()) {
	backoff := time.Second
	for ctx.Err() == nil {
		_ = s.follow(ctx, func() { // its error only means: reconnect
			backoff = time.Second
			if connected != nil {
				connected()
			}
		})
		s.Invalidate() // events may have been missed
		s.forgetDaemon()
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff < 30*time.Second {
			backoff *= 2
		}
	}
}

func (s *Source) follow(ctx context.Context, connected func()) error {
	req, err := httpGet(ctx, "/events?filters="+eventsFilter)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("events: status %d", resp.StatusCode)
	}
	s.Invalidate()
	connected()
	dec := json.NewDecoder(resp.Body)
	for {
		var ev struct{ Type, Action string }
		if err := dec.Decode(&ev); err != nil {
			return err
		}
		switch {
		case ev.Type == "container":
			s.invalidateContainers()
		case ev.Type == "volume" && ev.Action == "create":
			// A name that was missing may exist now. One that existed is
			// unchanged: dockerd 20.10 announces the volume of every
			// create that mounts it, new or not, and a volume made again
			// after a removal comes after its destroy event.
			s.forgetMissingVolumes()
		default:
			s.Invalidate() // a volume destroyed, or anything unexpected
		}
	}
}
