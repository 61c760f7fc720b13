package seccompdiff

import "slices"

// defaultCapabilities is the set dockerd gives a container that neither
// adds nor drops any (daemon/pkg/oci/caps DefaultCapabilities).
var defaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// allCapabilities is every capability the kernel defines (linux/capability.h,
// up to CAP_CHECKPOINT_RESTORE): what "ALL" adds.
var allCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// EffectiveCapabilities is the bounding set the daemon gives a container
// (caps.TweakCapabilities): add and drop are already normalised ("CAP_X",
// or "ALL"). Adding ALL gives every capability but the dropped ones;
// dropping ALL leaves only the added ones; otherwise the defaults less
// drop plus add. The result is sorted, so equal sets compare equal.
func EffectiveCapabilities(add, drop []string) []string {
	var caps []string
	switch {
	case slices.Contains(add, "ALL"):
		for _, c := range allCapabilities {
			if !slices.Contains(drop, c) {
				caps = append(caps, c)
			}
		}
	case slices.Contains(drop, "ALL"):
		caps = slices.Clone(add)
	default:
		for _, c := range defaultCapabilities {
			if !slices.Contains(drop, c) {
				caps = append(caps, c)
			}
		}
		caps = append(caps, add...)
	}
	slices.Sort(caps)
	return slices.Compact(caps)
}
