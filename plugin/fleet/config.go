package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/plugins/bundle"
	"github.com/open-policy-agent/opa/v1/plugins/logs"
	"github.com/open-policy-agent/opa/v1/plugins/status"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"sigs.k8s.io/yaml"
)

// DefaultPersistenceDirectory is where bundles are persisted when the
// configuration does not say (OPA's own default, ./.opa, depends on the
// directory the daemon happens to start the guard in).
const DefaultPersistenceDirectory = "/var/lib/dood-guard"

// Keys are the top-level keys of OPA's configuration the guard uses. Any
// other key is an error: OPA ignores what it does not know, and a typo
// ("bundle" for "bundles") would leave a fleet on the embedded library
// with nothing said.
var Keys = []string{"services", "labels", "keys", "bundles", "decision_logs", "status", "persistence_directory"}

// Config is a parsed and validated OPA configuration, with the guard's
// defaults injected.
type Config struct {
	// Raw is the configuration handed to OPA's plugin manager (JSON).
	Raw []byte
	// Bundles are the names of the configured bundles: when there are
	// any, the policy comes from them.
	Bundles []string
	// DecisionLogs says decision logs are uploaded (decision_logs.service).
	DecisionLogs bool
	// PersistenceDirectory is where OPA persists bundles.
	PersistenceDirectory string
}

// ParseConfig reads an OPA configuration (YAML or JSON), refuses keys the
// guard does not use, injects the guard's defaults — persist: true on every
// bundle that does not say, persistence_directory, and the event buffer for
// decision logs — and validates the result with OPA's own parsers, as its
// plugin manager will read it.
func ParseConfig(b []byte) (*Config, error) {
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if m == nil {
		return nil, errors.New("empty configuration")
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(Keys, k) {
			errs = append(errs, fmt.Errorf("%q is not used by dood-guard (it reads %s)", k, strings.Join(Keys, ", ")))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c := &Config{PersistenceDirectory: DefaultPersistenceDirectory}
	if d, ok := m["persistence_directory"].(string); ok && d != "" {
		c.PersistenceDirectory = d
	}
	m["persistence_directory"] = c.PersistenceDirectory
	if bs, ok := m["bundles"].(map[string]any); ok {
		for _, name := range slices.Sorted(maps.Keys(bs)) {
			src, ok := bs[name].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("bundles.%s is not an object", name)
			}
			if _, set := src["persist"]; !set {
				src["persist"] = true
			}
			c.Bundles = append(c.Bundles, name)
		}
	} else if m["bundles"] != nil {
		return nil, errors.New("bundles is not an object of bundle name → source")
	}
	if dl, ok := m["decision_logs"].(map[string]any); ok {
		// OPA's default size buffer gzips each event as it is logged
		// (~120 µs a decision, measured: BenchmarkUpload); the event
		// buffer encodes at upload time, off the request path (~27 µs).
		rep, _ := dl["reporting"].(map[string]any)
		if rep == nil {
			rep = map[string]any{}
			dl["reporting"] = rep
		}
		if _, set := rep["buffer_type"]; !set {
			rep["buffer_type"] = "event"
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	c.Raw = raw
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// validate parses the configuration with OPA's parsers: services and keys
// by the plugin manager, then each plugin's section as the plugin will.
func (c *Config) validate() error {
	mgr, err := plugins.New(c.Raw, "validate", inmem.New())
	if err != nil {
		return err
	}
	defer mgr.Stop(context.Background())
	cfg := mgr.GetConfig()
	if len(cfg.Warnings) > 0 {
		return fmt.Errorf("configuration: %s", strings.Join(cfg.Warnings, "; "))
	}
	services := mgr.Services()
	if cfg.Bundles != nil {
		if _, err := bundle.NewConfigBuilder().WithBytes(cfg.Bundles).WithServices(services).WithKeyConfigs(mgr.PublicKeys()).Parse(); err != nil {
			return fmt.Errorf("bundles: %w", err)
		}
	}
	if cfg.DecisionLogs != nil {
		lc, err := logs.NewConfigBuilder().WithBytes(cfg.DecisionLogs).WithServices(services).Parse()
		if err != nil {
			return fmt.Errorf("decision_logs: %w", err)
		}
		if lc == nil || (lc.Service == "" && lc.Plugin == nil && !lc.ConsoleLogs) {
			return errors.New("decision_logs: no service to upload to (decision_logs.service)")
		}
		c.DecisionLogs = true
	}
	if cfg.Status != nil {
		if _, err := status.NewConfigBuilder().WithBytes(cfg.Status).WithServices(services).Parse(); err != nil {
			return fmt.Errorf("status: %w", err)
		}
	}
	return nil
}
