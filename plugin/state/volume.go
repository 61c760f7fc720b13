package state

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
)

// A named volume is looked up with GET /volumes/{name}. For a name the
// daemon has no record of, that call makes dockerd probe every volume
// driver it knows of, legacy plugins included: one socket left in
// /run/docker/plugins by a crashed plugin costs each probe ~30 s of
// retries (dockerd's plugin client), and a plugin that accepts but never
// answers holds it forever. GET /volumes?filters=name=... is no better: it
// lists every driver's volumes before filtering. So a lookup of a volume
// that does not exist yet (the first `docker run -v cache:/cache`) could
// never finish on a healthy daemon.
//
// Only local-driver volumes carry host mount options the policy judges
// (DG-STATE-002), and the local driver keeps each of its volumes as a
// directory <data root>/volumes/<name>, beside the volume store's
// metadata.db. The guard therefore first looks on the host, through the
// same resolver that resolves bind sources (--host-root): no directory, no
// local volume, and the name is reported missing without asking the
// daemon. A directory means the daemon has the volume on record, so GET
// /volumes/{name} goes straight to its driver and answers fast, with the
// options the daemon will use. When the host cannot be read that way (no
// resolver, the data root not visible, no metadata.db beside the volume
// directories) the daemon is asked as before.

// localVolume reports whether the local driver has a volume of that name:
// known is false when the host cannot say, and the daemon must be asked.
func (s *Source) localVolume(ctx context.Context, name string) (exists, known bool) {
	resolve := s.opts.Host.Resolve
	if resolve == nil {
		return false, false
	}
	root, err := s.dataRoot(ctx)
	if err != nil || root == "" || !path.IsAbs(root) {
		return false, false
	}
	vols := path.Join(root, "volumes")
	if _, kind := resolve(path.Join(vols, "metadata.db")); kind != "file" {
		return false, false
	}
	switch _, kind := resolve(path.Join(vols, name)); kind {
	case "dir":
		return true, true
	case "missing":
		return false, true
	}
	return false, false
}

// dataRoot is the daemon's DockerRootDir (GET /info), asked once per
// connection to the daemon.
func (s *Source) dataRoot(ctx context.Context) (string, error) {
	s.rootMu.Lock()
	defer s.rootMu.Unlock()
	if s.root != "" {
		return s.root, nil
	}
	body, found, err := s.get(ctx, "/info")
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("%w: GET /info: not found", ErrUnavailable)
	}
	var info struct{ DockerRootDir string }
	if err := json.Unmarshal(body, &info); err != nil {
		return "", fmt.Errorf("%w: GET /info: %v", ErrUnavailable, err)
	}
	s.root = path.Clean(info.DockerRootDir)
	return s.root, nil
}

// forgetDaemon drops what was learnt about the daemon itself: it may have
// been restarted with another data root.
func (s *Source) forgetDaemon() {
	s.rootMu.Lock()
	s.root = ""
	s.rootMu.Unlock()
}
