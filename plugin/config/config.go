// Package config holds the guard's settings: parsed from flags and the
// environment, then validated with defaults injected. An invalid value is an
// error, never silently replaced.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
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
	// ConfigDir is an optional directory of policies/, rules/ and
	// data.yaml, each loaded when present (plugin/policy/configdir.go).
	ConfigDir string
	// Enforcement is enforce or dryrun (serve --enforcement).
	Enforcement string
	// MetricsAddr serves Prometheus metrics: host:port or unix:///path;
	// "" is off.
	MetricsAddr string
	// Watch reloads the policy when its files change.
	Watch bool
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
	c.Enforcement = orDefault(c.Enforcement, "enforce")
	errs = append(errs, oneOf("enforcement", c.Enforcement, "enforce", "dryrun"))
	if c.ConfigDir != "" && !filepath.IsAbs(c.ConfigDir) {
		errs = append(errs, fmt.Errorf("config-dir %q: must be an absolute path", c.ConfigDir))
	}
	if c.MetricsAddr != "" {
		if _, _, err := MetricsListenAddr(c.MetricsAddr); err != nil {
			errs = append(errs, err)
		}
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

// MetricsListenAddr splits a --metrics-addr into a network and an address
// for net.Listen: unix:///abs/path, or host:port (host may be empty: every
// interface).
func MetricsListenAddr(a string) (network, addr string, err error) {
	if p, ok := strings.CutPrefix(a, "unix://"); ok {
		if !filepath.IsAbs(p) || filepath.Clean(p) != p {
			return "", "", fmt.Errorf("metrics-addr %q: want unix:// and a clean absolute path", a)
		}
		return "unix", p, nil
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return "", "", fmt.Errorf("metrics-addr %q: want host:port or unix:///path: %v", a, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", "", fmt.Errorf("metrics-addr %q: port %q is not a number from 0 to 65535", a, port)
	}
	return "tcp", net.JoinHostPort(host, port), nil
}
