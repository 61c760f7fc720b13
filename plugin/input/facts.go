package input

// Facts are what the daemon will do with a request, derived the way the
// daemon derives it. Which members are present depends on the endpoint
// ("facts per endpoint" above): a member an endpoint does not derive is
// absent, never empty. Every fact carries path, the canonical field path a
// policy names in its message.
type Facts struct {
	// HostConfig.Privileged (exec: Privileged).
	Privileged *BoolFact `json:"privileged,omitzero"`
	// Every mount the container gets, from Binds, Mounts, Tmpfs (service:
	// ContainerSpec.Mounts; volume.create: the volume it defines).
	Mounts []Mount `json:"mounts,omitzero"`
	// HostConfig.VolumesFrom entries.
	VolumesFrom []StringFact `json:"volumes_from,omitzero"`
	// Capabilities added and dropped, upper-cased and CAP_-prefixed as the
	// daemon normalises them ("ALL" stays "ALL").
	Capabilities *Capabilities `json:"capabilities,omitzero"`
	// The seccomp profile the container runs with.
	Seccomp *Seccomp `json:"seccomp,omitzero"`
	// Effective namespace modes, version defaults applied.
	Namespaces *Namespaces `json:"namespaces,omitzero"`
	// HostConfig.Devices.
	Devices []Device `json:"devices,omitzero"`
	// HostConfig.DeviceCgroupRules entries.
	DeviceCgroupRules []StringFact `json:"device_cgroup_rules,omitzero"`
	// HostConfig.DeviceRequests (--gpus).
	DeviceRequests []DeviceRequest `json:"device_requests,omitzero"`
	// SecurityOpt entries parsed as the daemon parses them ("key=value", or
	// the legacy "key:value"; bare "no-new-privileges" and
	// "writable-cgroups" give the value "true", bare "disable" is
	// label=disable). Service: the entries the executor writes for
	// Privileges.
	SecurityOptions []SecurityOption `json:"security_options,omitzero"`
	// HostConfig.Runtime.
	Runtime *StringFact `json:"runtime,omitzero"`
	// HostConfig.CgroupParent.
	CgroupParent *StringFact `json:"cgroup_parent,omitzero"`
	// HostConfig.MaskedPaths.
	MaskedPaths *PathList `json:"masked_paths,omitzero"`
	// HostConfig.ReadonlyPaths.
	ReadonlyPaths *PathList `json:"readonly_paths,omitzero"`
	// HostConfig.RestartPolicy.Name: "", "no", "always", "unless-stopped",
	// "on-failure".
	RestartPolicy *StringFact `json:"restart_policy,omitzero"`
	// HostConfig.Annotations (API 1.43), sorted by key; empty when the
	// request names API < 1.43 (the daemon drops them).
	Annotations []KeyValue `json:"annotations,omitzero"`
	// HostConfig.Sysctls (sorted by key), then each endpoint's
	// DriverOpts["com.docker.network.endpoint.sysctls"] entry (API 1.46),
	// split on ",".
	Sysctls []KeyValue `json:"sysctls,omitzero"`
	// User as the runtime resolves it (container.create, exec.create,
	// services).
	User *User `json:"user,omitzero"`
	// WorkingDir (exec) or ContainerSpec.Dir (services).
	WorkingDir *StringFact `json:"working_dir,omitzero"`
	// Services: the networks the tasks attach to, from
	// TaskTemplate.Networks and the legacy top-level Networks.
	Networks []Network `json:"networks,omitzero"`
	// Services: ContainerSpec.Image.
	Image *StringFact `json:"image,omitzero"`
	// Services running a plugin: the plugin spec.
	Plugin *Plugin `json:"plugin,omitzero"`
}

// BoolFact is a boolean field and where it was given.
type BoolFact struct {
	// The field's value.
	Value bool `json:"value"`
	// The field's path.
	Path string `json:"path"`
}

// StringFact is a string field, or one entry of a list, and where it was
// given.
type StringFact struct {
	// The field's value.
	Value string `json:"value"`
	// The field's path.
	Path string `json:"path"`
}

// Mount is one mount a container gets, in the daemon's terms.
type Mount struct {
	// bind | volume | tmpfs | npipe | cluster | image (services: the type
	// swarm gives the mount, an empty one is a bind).
	Type string `json:"type"`
	// Binds: the host path cleaned lexically as dockerd does; volumes: the
	// volume name; images: the image.
	Source string `json:"source"`
	// The path in the container.
	Target string `json:"target"`
	// Whether the mount is read-only (an image mount always is).
	ReadOnly bool `json:"read_only"`
	// The volume driver, "local" when unset for a volume.
	Driver string `json:"driver"`
	// Volume driver options, e.g. {"type":"none","o":"bind","device":"/"}.
	DriverOptions map[string]string `json:"driver_options"`
	// The field the mount comes from.
	Path string `json:"path"`
	// Binds only: where the host resolves source (symlinks followed inside
	// --host-root, missing tails kept as written); source when not resolved.
	HostSource *string `json:"host_source,omitzero"`
	// Binds only: socket | dir | file | missing | other; "unknown" when not
	// resolved.
	HostKind *string `json:"host_kind,omitzero"`
	// Binds only: Mounts[].BindOptions.CreateMountpoint (API 1.42).
	CreateMountpoint *bool `json:"create_mountpoint,omitzero"`
	// Binds only: a read-only bind whose submounts stay writable:
	// BindOptions.ReadOnlyNonRecursive (API 1.44), or any read-only bind
	// when the request names API < 1.44; false means the daemon attempts a
	// recursive read-only mount.
	ReadOnlyNonRecursive *bool `json:"read_only_non_recursive,omitzero"`
	// Volumes from Mounts: VolumeOptions.Subpath (API 1.45); image mounts
	// (API 1.48): ImageOptions.Subpath.
	Subpath *string `json:"subpath,omitzero"`
	// Services only: the fields the swarm agent expands as Go templates on
	// the node (Source, Target, VolumeOptions.Labels.K,
	// VolumeOptions.DriverConfig.Options.K), sorted.
	Templated []string `json:"templated,omitzero"`
}

// Capabilities are the capabilities added and dropped.
type Capabilities struct {
	// HostConfig.CapAdd (services: CapabilityAdd), normalised.
	Add []StringFact `json:"add"`
	// HostConfig.CapDrop (services: CapabilityDrop), normalised.
	Drop []StringFact `json:"drop"`
}

// Seccomp is the seccomp profile a container runs with: the LAST seccomp
// security option. A custom profile is read as the daemon reads it
// (plugin/seccompdiff, docs/conversions.md).
type Seccomp struct {
	// default (none, "", builtin) | unconfined | custom.
	Mode string `json:"mode"`
	// The security option's path; "" when no option was given.
	Path string `json:"path"`
	// Custom only: the digest of the profile text as received.
	Digest *string `json:"digest,omitzero"`
	// Custom only: why the profile does not load ("" when it loads).
	Error *string `json:"error,omitzero"`
	// Custom only: no defaultAction and no syscalls, so the daemon applies
	// no filter.
	Unconfined *bool `json:"unconfined,omitzero"`
	// Custom only: the profile's default action.
	DefaultAction *string `json:"default_action,omitzero"`
	// Custom only: the default action lets unlisted syscalls run.
	DefaultAllows *bool `json:"default_allows,omitzero"`
	// Custom only: syscalls allowed here that Docker's default profile
	// refuses.
	AllowsRefusedSyscalls []string `json:"allows_refused_syscalls,omitzero"`
}

// Namespaces are the effective namespace modes.
type Namespaces struct {
	// HostConfig.PidMode.
	Pid Namespace `json:"pid"`
	// HostConfig.NetworkMode.
	Network Namespace `json:"network"`
	// HostConfig.IpcMode.
	Ipc Namespace `json:"ipc"`
	// HostConfig.UTSMode.
	Uts Namespace `json:"uts"`
	// HostConfig.UsernsMode.
	User Namespace `json:"user"`
	// HostConfig.CgroupnsMode; "host" when not given by an API < 1.41
	// client on a cgroup v1 host.
	Cgroup Namespace `json:"cgroup"`
}

// Namespace is one namespace mode.
type Namespace struct {
	// The mode: "", "host", "container:X", "private"…
	Mode string `json:"mode"`
	// The field's path.
	Path string `json:"path"`
}

// Device is one HostConfig.Devices entry.
type Device struct {
	// PathOnHost.
	PathOnHost string `json:"path_on_host"`
	// PathInContainer.
	PathInContainer string `json:"path_in_container"`
	// CgroupPermissions.
	Permissions string `json:"permissions"`
	// The entry's path.
	Path string `json:"path"`
}

// DeviceRequest is one HostConfig.DeviceRequests entry.
type DeviceRequest struct {
	// Driver.
	Driver string `json:"driver"`
	// Count (-1: all).
	Count int `json:"count"`
	// DeviceIDs.
	DeviceIDs []string `json:"device_ids"`
	// Capabilities (OR of ANDs).
	Capabilities [][]string `json:"capabilities"`
	// The IDs the daemon's CDI driver gets as full CDI names: every ID of
	// driver "cdi", and an ID holding "=" under any other driver (Docker 29.2).
	CDIDevices []string `json:"cdi_devices"`
	// The entry's path.
	Path string `json:"path"`
}

// SecurityOption is one security option.
type SecurityOption struct {
	// The option's key ("" when it does not parse).
	Key string `json:"key"`
	// The option's value.
	Value string `json:"value"`
	// The option as written.
	Raw string `json:"raw"`
	// The entry's path.
	Path string `json:"path"`
}

// PathList is a list field whose null differs from empty (MaskedPaths,
// ReadonlyPaths: null means the daemon's defaults).
type PathList struct {
	// False for null (the defaults).
	Set bool `json:"set"`
	// The entries.
	Value []string `json:"value"`
	// The field's path.
	Path string `json:"path"`
}

// KeyValue is one annotation or sysctl.
type KeyValue struct {
	// The map key (HostConfig entries only).
	Key *string `json:"key,omitzero"`
	// The annotation or sysctl name.
	Name string `json:"name"`
	// Its value.
	Value string `json:"value"`
	// Endpoint sysctls only: the entry as written.
	Raw *string `json:"raw,omitzero"`
	// Whether it comes from an endpoint's driver options.
	Endpoint bool `json:"endpoint"`
	// Endpoint sysctls only: the network ("" for network.connect).
	Network *string `json:"network,omitzero"`
	// The entry's path.
	Path string `json:"path"`
}

// User is a User field as the runtime resolves it (moby/sys/user).
type User struct {
	// The field as given; "" is the image's user (exec: the container's).
	Value string `json:"value"`
	// The field's path.
	Path string `json:"path"`
	// The uid of a numeric user part ("+0", "-0", "000", ":1000" are 0),
	// else null.
	UID *int `json:"uid"`
	// A user part that is a name (only the image's /etc/passwd resolves it).
	Name string `json:"name"`
}

// Network is a network a service's tasks attach to.
type Network struct {
	// The network's name or ID.
	Target string `json:"target"`
	// The entry's path.
	Path string `json:"path"`
}

// Plugin is the plugin a service runs.
type Plugin struct {
	// PluginSpec.Name.
	Name string `json:"name"`
	// PluginSpec.Remote.
	Remote string `json:"remote"`
	// The privileges the spec accepts.
	Privileges []Privilege `json:"privileges"`
	// TaskTemplate.PluginSpec.
	Path string `json:"path"`
}

// Privilege is one plugin privilege as a client accepts it.
type Privilege struct {
	// The privilege's name.
	Name string `json:"name"`
	// Its values.
	Value []string `json:"value"`
}
