package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Environment configuration, for the managed plugin: `docker plugin set
// dood-guard DG_LOG_FORMAT=text` sets an environment variable of the
// plugin's process (config.json declares them), not a flag.
//
// Each variable is a default for one serve flag; the flag, when given on the
// command line (or in the plugin's settable args), wins. An empty variable
// counts as unset: that is how `docker plugin set NAME VAR=` clears one. A
// variable set for a flag this build does not have is an error, and so is a
// value its flag refuses; the values are then validated with the flags.
// Other DG_* variables (the test scripts use some) are not ours to judge.

// envFlags maps each documented variable to the serve flag it defaults.
var envFlags = []struct{ env, flag string }{
	{"DG_POLICY_DIR", "policy"},
	{"DG_RULES_DIR", "rules"},
	{"DG_DATA_FILE", "data"},
	{"DG_PROFILE", "profile"},
	{"DG_HOST_ROOT", "host-root"},
	{"DG_LOG_FORMAT", "log-format"},
	{"DG_LOG_LEVEL", "log-level"},
	{"DG_LOG_DECISIONS", "log-decisions"},
	{"DG_DOCKER_HOST", "docker-host"},
	{"DG_CONFIG_DIR", "config-dir"},
	{"DG_ENFORCEMENT", "enforcement"},
	{"DG_METRICS_ADDR", "metrics-addr"},
}

// applyEnv sets every flag of fs that the command line left unset from its
// variable, as looked up by lookup.
func applyEnv(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	for _, m := range envFlags {
		v, ok := lookup(m.env)
		if !ok || v == "" || given[m.flag] {
			continue
		}
		if fs.Lookup(m.flag) == nil {
			errs = append(errs, fmt.Errorf("%s=%q: this dood-guard has no --%s", m.env, v, m.flag))
			continue
		}
		if err := fs.Set(m.flag, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", m.env, v, err))
		}
	}
	return errors.Join(errs...)
}

// configureFromEnv applies the environment to serve's parsed flags and says
// why it could not.
func configureFromEnv(fs *flag.FlagSet, stderr io.Writer) bool {
	if err := applyEnv(fs, os.LookupEnv); err != nil {
		fmt.Fprintf(stderr, "%s: invalid environment:\n%v\n", fs.Name(), err)
		return false
	}
	return true
}
