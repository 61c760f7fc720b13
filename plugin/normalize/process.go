package normalize

import (
	"strconv"
	"strings"

	"github.com/dood-guard/dood-guard/plugin/input"
	"github.com/moby/sys/user"
)

// userFact reads a User value ("user", "user:group", "uid:gid") as the
// runtime resolves it (github.com/moby/sys/user GetExecUser, which dockerd
// calls for container and exec users): only the part before the first ":"
// names the user; a numeric part is always a uid (strconv.Atoi: "+0", "-0"
// and "000" are all 0) and must lie in [0, 2^31-1]; an empty part is uid 0
// (":1000" runs as root). A name is looked up in the image's /etc/passwd,
// which the guard does not read: it is reported as "name", with uid null.
// An empty value means the image's user (exec: the container's), unknown
// here.
func userFact(raw, p string) *input.User {
	f := &input.User{Value: raw, Path: p}
	if raw == "" {
		return f
	}
	part, _, _ := strings.Cut(raw, ":")
	// No passwd or group source: numeric users resolve, names do not.
	if u, err := user.GetExecUser(part, nil, nil, nil); err == nil {
		f.UID = &u.Uid
	} else if _, numeric := strconv.Atoi(part); numeric != nil {
		f.Name = part
	}
	// A numeric user out of range stays uid null, name "": the runtime
	// refuses it.
	return f
}
