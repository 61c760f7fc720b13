// Package config holds the guard's settings: parsed from flags and the
// environment, then validated with defaults injected. An invalid value is an
// error, never silently replaced.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultSocket is where dockerd looks for a legacy plugin named dood-guard.
const DefaultSocket = "/run/docker/plugins/dood-guard.sock"

// Config is the serve command's configuration.
type Config struct {
	Socket             string
	PolicyPaths        []string
	DataPath           string
	LogFormat          string // json | text
	LogLevel           string // debug | info | warn | error
	LogDecisions       string // all | deny
	AllowUnknownRoutes bool
	// DefaultAPIVersion, when set, is the version of a request without a
	// /vX.Y prefix, over what the daemon says (plugin/apiversion); "" follows
	// the daemon.
	DefaultAPIVersion string
	Cgroup            string // auto | v1 | v2
	// RulesDirs are directories of a team's own rule packages
	// (package dood.rules.<name>), added beside the policy.
	RulesDirs []string
	// Profile, when set, selects the policy profile (data.guard.profile),
	// over whatever the data says.
	Profile string // "" | baseline | restricted
	// HostRoot is where the host's file system is seen, for resolving bind
	// sources; "" means "/".
	HostRoot string
}

// Profiles are the policy profiles the embedded library ships.
var Profiles = []string{"baseline", "restricted"}

// Validate injects defaults and checks every value.
func (c *Config) Validate() error {
	var errs []error
	if c.Socket == "" {
		c.Socket = DefaultSocket
	}
	if !filepath.IsAbs(c.Socket) {
		errs = append(errs, fmt.Errorf("socket %q: must be an absolute path", c.Socket))
	}
	c.LogFormat = orDefault(c.LogFormat, "json")
	c.LogLevel = orDefault(c.LogLevel, "info")
	c.LogDecisions = orDefault(c.LogDecisions, "all")
	c.Cgroup = orDefault(c.Cgroup, "auto")
	errs = append(errs,
		oneOf("log-format", c.LogFormat, "json", "text"),
		oneOf("log-level", c.LogLevel, "debug", "info", "warn", "error"),
		oneOf("log-decisions", c.LogDecisions, "all", "deny"),
		oneOf("cgroup", c.Cgroup, "auto", "v1", "v2"),
	)
	if c.DefaultAPIVersion != "" && !validVersion(c.DefaultAPIVersion) {
		errs = append(errs, fmt.Errorf("default-api-version %q: want a version such as 1.41", c.DefaultAPIVersion))
	}
	for _, p := range c.PolicyPaths {
		if _, err := os.Stat(p); err != nil {
			errs = append(errs, fmt.Errorf("policy: %w", err))
		}
	}
	if c.DataPath != "" {
		if _, err := os.Stat(c.DataPath); err != nil {
			errs = append(errs, fmt.Errorf("data: %w", err))
		}
	}
	for _, d := range c.RulesDirs {
		if err := isDir(d); err != nil {
			errs = append(errs, fmt.Errorf("rules: %w", err))
		}
	}
	if c.Profile != "" {
		errs = append(errs, oneOf("profile", c.Profile, Profiles...))
	}
	if c.HostRoot != "" {
		if !filepath.IsAbs(c.HostRoot) {
			errs = append(errs, fmt.Errorf("host-root %q: must be an absolute path", c.HostRoot))
		} else if err := isDir(c.HostRoot); err != nil {
			errs = append(errs, fmt.Errorf("host-root: %w", err))
		}
	}
	return errors.Join(errs...)
}

// CgroupV1 says whether the host runs cgroup v1, where old API versions get
// the host cgroup namespace by default.
func (c *Config) CgroupV1() bool {
	switch c.Cgroup {
	case "v1":
		return true
	case "v2":
		return false
	}
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err != nil
}

func isDir(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s: not a directory", p)
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func oneOf(name, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s %q: want one of %s", name, v, strings.Join(allowed, ", "))
}

func validVersion(v string) bool {
	major, minor, ok := strings.Cut(v, ".")
	return ok && major != "" && minor != "" && strings.Trim(major+minor, "0123456789") == ""
}
