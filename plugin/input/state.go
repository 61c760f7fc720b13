package input

// State is the existing objects a request points at (plugin/state). Keys
// are the references as the request gave them (a name, a full ID or an ID
// prefix; for VolumesFrom the part before :ro/:rw; for a namespace mode the
// part after container:); the daemon resolved them as the request's
// handler will.
type State struct {
	// The containers the request reaches into, takes volumes from or
	// joins the namespaces of.
	Containers map[string]*Container `json:"containers"`
	// The named volumes the request mounts, and those every container in
	// containers mounts (with that container's path).
	Volumes map[string]*Volume `json:"volumes"`
	// Plugin management requests: the daemon's authorization chain.
	AuthzPlugins []AuthzPlugin `json:"authz_plugins,omitzero"`
}

// Container is one container the request points at. A container the
// daemon does not know (404: it will refuse the request itself) has only
// found and path.
type Container struct {
	// Whether the daemon knows the container.
	Found bool `json:"found"`
	*Existing
	// The request field that named it: params.name, query.container, or
	// the facts path of the VolumesFrom entry, namespace mode or mount.
	Path string `json:"path"`
}

// Existing is what the daemon reports about a container it knows.
type Existing struct {
	// The full ID.
	ID string `json:"id"`
	// The name, without the leading "/".
	Name string `json:"name"`
	// HostConfig.Privileged.
	Privileged bool `json:"privileged"`
	// The container's mounts as the daemon reports them (VolumesFrom
	// included).
	Mounts []ContainerMount `json:"mounts"`
	// The recorded namespace modes (pid, network, ipc, uts, user, cgroup);
	// a pid/network/ipc "container:X" is shown as "host" when X's is the
	// host's. Empty when the daemon reports no HostConfig.
	Namespaces map[string]string `json:"namespaces"`
	// HostConfig.CapAdd, normalised as in facts.capabilities.
	CapAdd []string `json:"cap_add"`
	// Config.Labels.
	Labels map[string]string `json:"labels"`
	// Config and HostConfig as a create of it would carry them.
	Body any `json:"body"`
	// The facts of such a create (same shape as a create's), every bind
	// source resolved on the host now, binds taken with VolumesFrom added
	// ("Mounts[i]"); on cgroup v1 a recorded "host" cgroup namespace reads
	// as not given.
	Facts *Facts `json:"facts"`
}

// ContainerMount is a mount as the daemon reports it.
type ContainerMount struct {
	// bind | volume | tmpfs…
	Type string `json:"type"`
	// The host path (binds) or the volume's directory.
	Source string `json:"source"`
	// The path in the container.
	Destination string `json:"destination"`
	// The volume driver.
	Driver string `json:"driver"`
	// The volume name.
	Name string `json:"name"`
	// Binds: where the host resolves source at this lookup.
	HostSource *string `json:"host_source,omitzero"`
	// Binds: what it is (as facts.mounts[].host_kind).
	HostKind *string `json:"host_kind,omitzero"`
}

// Volume is one named volume. A volume the local driver has no directory
// for, or the daemon does not know, has only found and path.
type Volume struct {
	// Whether the volume exists.
	Found bool `json:"found"`
	*VolumeInfo
	// The request field that named it.
	Path string `json:"path"`
}

// VolumeInfo is what the daemon reports about a volume.
type VolumeInfo struct {
	// The volume's name.
	Name string `json:"name"`
	// Its driver.
	Driver string `json:"driver"`
	// The options it was created with.
	Options map[string]string `json:"options"`
}

// AuthzPlugin is one entry of the daemon's authorization chain.
type AuthzPlugin struct {
	// The name as configured.
	Name string `json:"name"`
	// The managed plugin's full ID; "" for a legacy plugin.
	ID string `json:"id"`
	// The managed plugin's name:tag; "" for a legacy plugin.
	Plugin string `json:"plugin"`
}
