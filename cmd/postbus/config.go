package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// Configuration files. `--config FILE` names a TOML file (or YAML, when the
// name ends in .yaml or .yml) whose keys are the command's flag names; a table prefixes its keys with its name and a dash,
// so these two say the same:
//
//	s3-endpoint = "http://127.0.0.1:9000"
//
//	[s3]
//	endpoint = "http://127.0.0.1:9000"
//
// Values are strings, booleans (for boolean flags, and only for them),
// integers, floats, or arrays of those (joined with commas: etcd =
// ["http://a:2379", "http://b:2379"]). The file is applied first and the
// command line afterwards, so a flag given on the command line wins. An
// unknown key is an error naming the key, never ignored: a typo must not
// silently leave a default in place.

// errConfig is wrapped by every configuration file error.
var errConfig = errors.New("config")

// configFlag is the flag that names the file; it cannot be set from a file.
const configFlag = "config"

// parseWithConfig parses args like parseInterspersed after applying the
// file that --config names, if any. It registers --config on fs when the
// command has not.
func parseWithConfig(fs *flag.FlagSet, args []string) ([]string, error) {
	if fs.Lookup(configFlag) == nil {
		fs.String(configFlag, "", "configuration file, TOML (YAML if named .yaml/.yml); its keys are flag names, command-line flags override it")
	}
	path, err := configPath(args)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if err := applyConfigFile(fs, path); err != nil {
			return nil, usageError{err.Error()}
		}
	}
	return parseInterspersed(fs, args)
}

// configPath finds --config's value in args before they are parsed (the
// file must be applied first so that flags override it). It stops at "--".
func configPath(args []string) (string, error) {
	path := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != configFlag {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return "", usageError{"flag needs an argument: --config"}
			}
			i++
			value = args[i]
		}
		path = value // the last one wins, as with any flag
	}
	return path, nil
}

// applyConfigFile sets every flag the file at path names: YAML for a
// .yaml or .yml file, else TOML.
func applyConfigFile(fs *flag.FlagSet, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %w", errConfig, err)
	}
	apply := applyConfig
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
		apply = applyYAMLConfig
	}
	if err := apply(fs, string(data)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// applyConfig sets the flags named by the TOML document doc.
func applyConfig(fs *flag.FlagSet, doc string) error {
	var tree map[string]any
	if _, err := toml.Decode(doc, &tree); err != nil {
		return fmt.Errorf("%w: %w", errConfig, err)
	}
	return applyTree(fs, tree)
}

// applyYAMLConfig sets the flags named by the YAML document doc: the same
// keys as TOML, mappings for tables.
func applyYAMLConfig(fs *flag.FlagSet, doc string) error {
	var tree map[string]any
	if err := yaml.Unmarshal([]byte(doc), &tree); err != nil {
		return fmt.Errorf("%w: %w", errConfig, err)
	}
	return applyTree(fs, tree)
}

// applyTree sets the flags a decoded document names.
func applyTree(fs *flag.FlagSet, tree map[string]any) error {
	values := make(map[string]any)
	if err := flattenConfig("", tree, values); err != nil {
		return err
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic: the first error is always the same
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil || name == configFlag {
			return fmt.Errorf("%w: unknown key %q: `postbus %s` has no flag --%s", errConfig, name, fs.Name(), name)
		}
		s, err := configValue(name, values[name], isBoolFlag(f))
		if err != nil {
			return err
		}
		if err := fs.Set(name, s); err != nil {
			return fmt.Errorf("%w: key %q: %w", errConfig, name, err)
		}
	}
	return nil
}

// flattenConfig turns tables into dash-joined flag names.
func flattenConfig(prefix string, tree map[string]any, out map[string]any) error {
	for k, v := range tree {
		name := k
		if prefix != "" {
			name = prefix + "-" + k
		}
		if sub, ok := v.(map[string]any); ok {
			if err := flattenConfig(name, sub, out); err != nil {
				return err
			}
			continue
		}
		if _, dup := out[name]; dup {
			return fmt.Errorf("%w: key %q given twice (as a table key and a flat key)", errConfig, name)
		}
		out[name] = v
	}
	return nil
}

// configValue renders a TOML value as the flag's text.
func configValue(name string, v any, boolFlag bool) (string, error) {
	if b, ok := v.(bool); ok != boolFlag {
		if boolFlag {
			return "", fmt.Errorf("%w: key %q is a switch: want true or false, got %v", errConfig, name, v)
		}
		return "", fmt.Errorf("%w: key %q takes a value, not a boolean", errConfig, name)
	} else if ok {
		return strconv.FormatBool(b), nil
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int: // YAML
		return strconv.Itoa(x), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, err := configValue(name, e, false)
			if err != nil {
				return "", err
			}
			if strings.Contains(s, ",") {
				return "", fmt.Errorf("%w: key %q: list element %q contains a comma", errConfig, name, s)
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("%w: key %q: unsupported value %v (%T)", errConfig, name, v, v)
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
