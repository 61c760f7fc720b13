package check

import (
	"regexp"
	"strings"
)

// A table from request fields to the docker CLI flags that set them, keyed
// by the field path with indexes removed ("HostConfig.Binds"). The names
// are docker/cli's own: a test looks each one up in the flag sets of
// docker/cli's run and service create commands. The longest matching
// prefix wins. "IMAGE" and "COMMAND" stand for the positional arguments.
var containerFlags = map[string][]string{
	"Image":                         {"IMAGE"},
	"Cmd":                           {"COMMAND"},
	"Entrypoint":                    {"entrypoint"},
	"User":                          {"user"},
	"Env":                           {"env", "env-file"},
	"Labels":                        {"label", "label-file"},
	"Volumes":                       {"volume"},
	"WorkingDir":                    {"workdir"},
	"Hostname":                      {"hostname"},
	"Domainname":                    {"domainname"},
	"ExposedPorts":                  {"expose", "publish"},
	"Healthcheck":                   {"health-cmd", "no-healthcheck"},
	"StopSignal":                    {"stop-signal"},
	"StopTimeout":                   {"stop-timeout"},
	"MacAddress":                    {"mac-address"},
	"Tty":                           {"tty"},
	"OpenStdin":                     {"interactive"},
	"HostConfig.Privileged":         {"privileged"},
	"HostConfig.Binds":              {"volume"},
	"HostConfig.Mounts":             {"mount", "use-api-socket"},
	"HostConfig.VolumesFrom":        {"volumes-from"},
	"HostConfig.VolumeDriver":       {"volume-driver"},
	"HostConfig.CapAdd":             {"cap-add"},
	"HostConfig.CapDrop":            {"cap-drop"},
	"HostConfig.Devices":            {"device"},
	"HostConfig.DeviceCgroupRules":  {"device-cgroup-rule"},
	"HostConfig.DeviceRequests":     {"gpus"},
	"HostConfig.SecurityOpt":        {"security-opt"},
	"HostConfig.MaskedPaths":        {"security-opt"},
	"HostConfig.ReadonlyPaths":      {"security-opt"},
	"HostConfig.PidMode":            {"pid"},
	"HostConfig.NetworkMode":        {"network"},
	"HostConfig.IpcMode":            {"ipc"},
	"HostConfig.UTSMode":            {"uts"},
	"HostConfig.UsernsMode":         {"userns"},
	"HostConfig.CgroupnsMode":       {"cgroupns"},
	"HostConfig.CgroupParent":       {"cgroup-parent"},
	"HostConfig.Sysctls":            {"sysctl"},
	"HostConfig.Runtime":            {"runtime"},
	"HostConfig.Tmpfs":              {"tmpfs"},
	"HostConfig.GroupAdd":           {"group-add"},
	"HostConfig.LogConfig":          {"log-driver", "log-opt"},
	"HostConfig.OomScoreAdj":        {"oom-score-adj"},
	"HostConfig.OomKillDisable":     {"oom-kill-disable"},
	"HostConfig.PidsLimit":          {"pids-limit"},
	"HostConfig.Ulimits":            {"ulimit"},
	"HostConfig.Links":              {"link"},
	"HostConfig.PortBindings":       {"publish"},
	"HostConfig.PublishAllPorts":    {"publish-all"},
	"HostConfig.ExtraHosts":         {"add-host"},
	"HostConfig.Dns":                {"dns"},
	"HostConfig.DnsOptions":         {"dns-option"},
	"HostConfig.DnsSearch":          {"dns-search"},
	"HostConfig.ReadonlyRootfs":     {"read-only"},
	"HostConfig.Isolation":          {"isolation"},
	"HostConfig.Init":               {"init"},
	"HostConfig.Annotations":        {"annotation"},
	"HostConfig.StorageOpt":         {"storage-opt"},
	"HostConfig.ShmSize":            {"shm-size"},
	"HostConfig.RestartPolicy":      {"restart"},
	"HostConfig.AutoRemove":         {"rm"},
	"HostConfig.Memory":             {"memory"},
	"HostConfig.MemorySwap":         {"memory-swap"},
	"HostConfig.CpusetCpus":         {"cpuset-cpus"},
	"HostConfig.CpusetMems":         {"cpuset-mems"},
	"HostConfig.CpuShares":          {"cpu-shares"},
	"HostConfig.NanoCpus":           {"cpus"},
	"HostConfig.CpuRealtimeRuntime": {"cpu-rt-runtime"},
	"HostConfig.CpuRealtimePeriod":  {"cpu-rt-period"},
	"HostConfig.BlkioWeightDevice":  {"blkio-weight-device"},
	"HostConfig.BlkioDeviceReadBps": {"device-read-bps"},
	"NetworkingConfig":              {"network", "ip", "ip6", "network-alias", "link-local-ip"},
}

var serviceFlags = map[string][]string{
	"Name":                                      {"name"},
	"TaskTemplate.ContainerSpec.Image":          {"IMAGE"},
	"TaskTemplate.ContainerSpec.Args":           {"COMMAND"},
	"TaskTemplate.ContainerSpec.Command":        {"entrypoint"},
	"TaskTemplate.ContainerSpec.Mounts":         {"mount"},
	"TaskTemplate.ContainerSpec.User":           {"user"},
	"TaskTemplate.ContainerSpec.Groups":         {"group"},
	"TaskTemplate.ContainerSpec.Env":            {"env", "env-file"},
	"TaskTemplate.ContainerSpec.Labels":         {"container-label"},
	"TaskTemplate.ContainerSpec.CapabilityAdd":  {"cap-add"},
	"TaskTemplate.ContainerSpec.CapabilityDrop": {"cap-drop"},
	"TaskTemplate.ContainerSpec.Sysctls":        {"sysctl"},
	"TaskTemplate.ContainerSpec.Ulimits":        {"ulimit"},
	"TaskTemplate.ContainerSpec.Init":           {"init"},
	"TaskTemplate.ContainerSpec.Isolation":      {"isolation"},
	"TaskTemplate.ContainerSpec.Hosts":          {"host"},
	"TaskTemplate.ContainerSpec.Secrets":        {"secret"},
	"TaskTemplate.ContainerSpec.Configs":        {"config"},
	"TaskTemplate.ContainerSpec.ReadOnly":       {"read-only"},
	"TaskTemplate.ContainerSpec.OomScoreAdj":    {"oom-score-adj"},
	"TaskTemplate.ContainerSpec.Privileges":     {"credential-spec"},
	"TaskTemplate.ContainerSpec.Hostname":       {"hostname"},
	"TaskTemplate.ContainerSpec.Dir":            {"workdir"},
	"TaskTemplate.ContainerSpec.TTY":            {"tty"},
	"TaskTemplate.ContainerSpec.DNSConfig":      {"dns", "dns-option", "dns-search"},
	"TaskTemplate.ContainerSpec.Healthcheck":    {"health-cmd", "no-healthcheck"},
	"TaskTemplate.ContainerSpec.StopSignal":     {"stop-signal"},
	"TaskTemplate.Networks":                     {"network"},
	"TaskTemplate.Resources":                    {"limit-cpu", "limit-memory", "reserve-cpu", "reserve-memory", "generic-resource"},
	"TaskTemplate.RestartPolicy":                {"restart-condition", "restart-delay", "restart-max-attempts", "restart-window"},
	"TaskTemplate.Placement":                    {"constraint", "placement-pref", "replicas-max-per-node"},
	"TaskTemplate.LogDriver":                    {"log-driver", "log-opt"},
	"Labels":                                    {"label"},
	"Mode":                                      {"mode", "replicas"},
	"EndpointSpec":                              {"publish", "endpoint-mode"},
}

var indexes = regexp.MustCompile(`\[[^\]]*\]`)

// flagsFor names the flags behind a request field: those of the table's
// candidates that the command line gave (all candidates when it gave none
// of them), as "--name"; positional arguments as IMAGE or COMMAND.
func flagsFor(table map[string][]string, path string, changed map[string]bool) []string {
	key := indexes.ReplaceAllString(path, "")
	var cands []string
	for k := key; k != ""; {
		if c, ok := table[k]; ok {
			cands = c
			break
		}
		i := strings.LastIndex(k, ".")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	var given []string
	for _, c := range cands {
		if changed[c] {
			given = append(given, c)
		}
	}
	if len(given) == 0 {
		given = cands
	}
	out := make([]string, len(given))
	for i, c := range given {
		if c == "IMAGE" || c == "COMMAND" {
			out[i] = c
		} else {
			out[i] = "--" + c
		}
	}
	return out
}
