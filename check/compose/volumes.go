package compose

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/mount"
)

// volumes is buildContainerVolumes: each service volume (then each file
// secret and config) becomes a mount, one per target, the later winning;
// a bind or project volume without options that need the Mount API is sent
// as a legacy Binds string, everything else in Mounts. Compose walks a map
// here, so its order varies between runs; this keeps the file's order.
// origin is told which compose key each Binds and Mounts entry came from.
func volumes(p *types.Project, s types.ServiceConfig, origin func(field, key string)) ([]string, []mount.Mount, error) {
	type entry struct {
		m   mount.Mount
		v   *types.ServiceVolumeConfig // nil for secrets and configs
		key string
	}
	var order []string
	byTarget := map[string]entry{}
	add := func(e entry, override bool) {
		if _, ok := byTarget[e.m.Target]; ok && !override {
			return
		}
		if _, ok := byTarget[e.m.Target]; !ok {
			order = append(order, e.m.Target)
		}
		byTarget[e.m.Target] = e
	}
	for i := range s.Volumes {
		v := s.Volumes[i]
		m, err := buildMount(p, v)
		if err != nil {
			return nil, nil, err
		}
		key := fmt.Sprintf("volumes[%d]", i)
		if s.UseAPISocket && i == len(s.Volumes)-1 && v.Source == "/var/run/docker.sock" {
			key = "use_api_socket"
		}
		add(entry{m, &v, key}, true)
	}
	for i, sec := range s.Secrets {
		target := sec.Target
		if target == "" {
			target = "/run/secrets/" + sec.Source
		} else if !strings.HasPrefix(target, "/") {
			target = "/run/secrets/" + target
		}
		def := p.Secrets[sec.Source]
		if def.External {
			return nil, nil, fmt.Errorf("service %s: unsupported external secret %s", s.Name, def.Name)
		}
		if def.Environment != "" {
			continue // copied into the container at start, not mounted
		}
		v := types.ServiceVolumeConfig{Type: types.VolumeTypeBind, Source: def.File, Target: target, ReadOnly: true,
			Bind: &types.ServiceVolumeBind{CreateHostPath: false}}
		m, err := buildMount(p, v)
		if err != nil {
			return nil, nil, err
		}
		// Compose looks the target up among the service's volumes to
		// choose Binds; a secret's is never there, so it goes in Mounts.
		add(entry{m, nil, fmt.Sprintf("secrets[%d]", i)}, false)
	}
	for i, c := range s.Configs {
		target := c.Target
		if target == "" {
			target = "/" + c.Source
		} else if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		def := p.Configs[c.Source]
		if def.External {
			return nil, nil, fmt.Errorf("service %s: unsupported external config %s", s.Name, def.Name)
		}
		if def.Environment != "" || def.Content != "" {
			continue // copied into the container at start, not mounted
		}
		v := types.ServiceVolumeConfig{Type: types.VolumeTypeBind, Source: def.File, Target: target, ReadOnly: true}
		m, err := buildMount(p, v)
		if err != nil {
			return nil, nil, err
		}
		add(entry{m, nil, fmt.Sprintf("configs[%d]", i)}, false)
	}

	var binds []string
	var mounts []mount.Mount
	for _, t := range order {
		e := byTarget[t]
		switch {
		case e.v == nil:
		case e.m.Type == mount.TypeBind:
			if !bindNeedsMountAPI(e.v.Bind) {
				origin(fmt.Sprintf("HostConfig.Binds[%d]", len(binds)), e.key)
				binds = append(binds, bindString(e.m.Source, e.v))
				continue
			}
		case e.m.Type == mount.TypeVolume:
			if vol, ok := projectVolume(p, e.m.Source); ok && !volumeNeedsMountAPI(e.v.Volume) {
				origin(fmt.Sprintf("HostConfig.Binds[%d]", len(binds)), e.key)
				binds = append(binds, bindString(vol.Name, e.v))
				continue
			}
		}
		origin(fmt.Sprintf("HostConfig.Mounts[%d]", len(mounts)), e.key)
		mounts = append(mounts, e.m)
	}
	return binds, mounts, nil
}

// buildMount is compose's buildMount: relative bind sources made absolute,
// a project volume by its real name, the options of each type.
func buildMount(p *types.Project, v types.ServiceVolumeConfig) (mount.Mount, error) {
	source := v.Source
	switch v.Type {
	case types.VolumeTypeBind:
		if !filepath.IsAbs(source) && !strings.HasPrefix(source, "/") {
			abs, err := filepath.Abs(source)
			if err != nil {
				return mount.Mount{}, err
			}
			source = abs
		}
	case types.VolumeTypeVolume:
		if pv, ok := p.Volumes[v.Source]; ok && v.Source != "" {
			source = pv.Name
		}
	}
	m := mount.Mount{Type: mount.Type(v.Type), Source: source, Target: v.Target, ReadOnly: v.ReadOnly,
		Consistency: mount.Consistency(v.Consistency)}
	switch v.Type {
	case types.VolumeTypeBind:
		if b := v.Bind; b != nil {
			m.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(b.Propagation), CreateMountpoint: bool(b.CreateHostPath)}
			switch b.Recursive {
			case "disabled":
				m.BindOptions.NonRecursive = true
			case "writable":
				m.BindOptions.ReadOnlyNonRecursive = true
			case "readonly":
				m.BindOptions.ReadOnlyForceRecursive = true
			}
		}
	case types.VolumeTypeVolume:
		if o := v.Volume; o != nil {
			m.VolumeOptions = &mount.VolumeOptions{NoCopy: o.NoCopy, Subpath: o.Subpath, Labels: o.Labels}
		}
	case types.VolumeTypeTmpfs:
		if o := v.Tmpfs; o != nil {
			m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(o.Size), Mode: os.FileMode(o.Mode)}
		}
	case types.VolumeTypeImage:
		if o := v.Image; o != nil {
			m.ImageOptions = &mount.ImageOptions{Subpath: o.SubPath}
		}
	}
	return m, nil
}

// projectVolume finds a project volume by its real name (findVolumeByName).
func projectVolume(p *types.Project, name string) (types.VolumeConfig, bool) {
	for _, v := range p.Volumes {
		if v.Name == name {
			return v, true
		}
	}
	return types.VolumeConfig{}, false
}

// bindNeedsMountAPI is bindRequiresMountAPI.
func bindNeedsMountAPI(b *types.ServiceVolumeBind) bool {
	return b != nil && (!bool(b.CreateHostPath) || b.Propagation != "" || b.Recursive != "")
}

// volumeNeedsMountAPI is volumeRequiresMountAPI.
func volumeNeedsMountAPI(v *types.ServiceVolumeVolume) bool {
	return v != nil && (len(v.Labels) > 0 || v.Subpath != "" || v.NoCopy)
}

// bindString is toBindString: name:target:rw|ro[,selinux][,propagation][,nocopy].
func bindString(name string, v *types.ServiceVolumeConfig) string {
	opts := []string{"rw"}
	if v.ReadOnly {
		opts[0] = "ro"
	}
	if v.Bind != nil && v.Bind.SELinux != "" {
		opts = append(opts, v.Bind.SELinux)
	}
	if v.Bind != nil && v.Bind.Propagation != "" {
		opts = append(opts, v.Bind.Propagation)
	}
	if v.Volume != nil && v.Volume.NoCopy {
		opts = append(opts, "nocopy")
	}
	return name + ":" + v.Target + ":" + strings.Join(opts, ",")
}
