// Package hostpath resolves a bind-mount source the way the host's kernel
// will when dockerd mounts it: symlinks are followed, but inside a host root
// (the guard may see the host's filesystem under a read-only mount, e.g. when
// it runs as a managed plugin), and the components that do not exist yet are
// kept as written. It also reports what the final path is, so that a policy
// can refuse a unix socket whatever it is called.
//
// The answer describes the host at the moment of the request. A process that
// can write in a directory on the way (for example through another
// container's bind mount) can swap a component for a symlink after the guard
// looked and before dockerd mounts; no resolver closes that race, which is
// why directories that containers can write to should not be trusted as bind
// roots.
package hostpath

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
)

// Kinds of file a resolved path names.
const (
	Socket  = "socket"
	Dir     = "dir"
	File    = "file"
	Missing = "missing"
	// Other is any other file type (device, fifo), and a path that cannot
	// be resolved (a symlink loop, a permission error): the host would not
	// mount it as a plain file or directory either.
	Other = "other"
)

// Resolver resolves host paths under a root directory that shows the host's
// filesystem. It is safe for concurrent use.
type Resolver struct {
	root string // clean, absolute; "/" for the guard's own root
}

// New returns a resolver for a host seen at root ("/" when the guard runs in
// the host's mount namespace). root must be an existing directory.
func New(root string) (*Resolver, error) {
	if root == "" {
		root = "/"
	}
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("host root %q: must be an absolute path", root)
	}
	root = filepath.Clean(root)
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("host root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("host root %s: not a directory", root)
	}
	return &Resolver{root: root}, nil
}

// Root is the directory the host is seen under.
func (r *Resolver) Root() string { return r.root }

// Resolve returns the host path that a mount of source reaches, as a path on
// the host (without the root prefix), and the kind of file it is. source is
// a bind source as dockerd has it: absolute and lexically cleaned. A path
// that is not absolute is returned unchanged with kind Other.
func (r *Resolver) Resolve(source string) (hostPath, kind string) {
	if !path.IsAbs(source) {
		return source, Other
	}
	source = path.Clean(source)
	joined, err := securejoin.SecureJoin(r.root, source)
	if err != nil {
		return source, Other
	}
	hostPath = r.hostPath(joined)
	fi, err := os.Lstat(joined)
	switch {
	case err == nil:
		return hostPath, kindOf(fi.Mode())
	case securejoin.IsNotExist(err):
		return hostPath, Missing
	default:
		return hostPath, Other
	}
}

// hostPath strips the root from a path SecureJoin built under it.
func (r *Resolver) hostPath(joined string) string {
	if r.root == "/" {
		return joined
	}
	rel, err := filepath.Rel(r.root, joined)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		// SecureJoin never leaves the root; should it, report the root.
		return "/"
	}
	if rel == "." {
		return "/"
	}
	return "/" + rel
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSocket != 0:
		return Socket
	case m.IsDir():
		return Dir
	case m.IsRegular():
		return File
	}
	return Other
}
