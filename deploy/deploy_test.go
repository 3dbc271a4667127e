package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/BurntSushi/toml"
)

// postbusBin is the binary whose roles and flags the files must match.
var postbusBin string

func TestMain(m *testing.M) {
	if p := os.Getenv("POSTBUS_BIN"); p != "" {
		// A binary built elsewhere (CI builds once for several packages).
		postbusBin = p
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "postbus-deploy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	postbusBin = filepath.Join(dir, "postbus")
	build := exec.Command("go", "build", "-o", postbusBin, "../cmd/postbus")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building postbus:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	flagsMu    sync.Mutex
	flagsCache = map[string]map[string]bool{}
	flagLine   = regexp.MustCompile(`(?m)^\s+-([A-Za-z0-9][A-Za-z0-9._-]*)`)
)

// roleFlags returns the flags `postbus ROLE -h` lists, failing t when the
// binary has no such role.
func roleFlags(t *testing.T, role string) map[string]bool {
	t.Helper()
	flagsMu.Lock()
	defer flagsMu.Unlock()
	if f, ok := flagsCache[role]; ok {
		return f
	}
	out, err := exec.Command(postbusBin, role, "-h").CombinedOutput()
	if err != nil {
		t.Fatalf("`postbus %s -h`: %v\n%s", role, err, out)
	}
	flags := map[string]bool{}
	for _, m := range flagLine.FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if len(flags) == 0 {
		t.Fatalf("`postbus %s -h` lists no flags:\n%s", role, out)
	}
	flagsCache[role] = flags
	return flags
}

// checkCommandLine checks a postbus command line (without the binary): a
// role first, then only flags that role has, with their values. It returns
// the flags' values.
func checkCommandLine(t *testing.T, where string, args []string) (role string, values map[string]string) {
	t.Helper()
	if len(args) == 0 {
		t.Fatalf("%s: no role", where)
	}
	role = args[0]
	flags := roleFlags(t, role)
	values = map[string]string{}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			t.Errorf("%s: unexpected argument %q (postbus %s takes only flags)", where, a, role)
			continue
		}
		name, value, has := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !flags[name] {
			t.Errorf("%s: `postbus %s` has no flag --%s", where, role, name)
			continue
		}
		if !has && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			value = args[i]
		}
		values[name] = value
	}
	return role, values
}

// checkConfig checks a TOML configuration for role: every key names a flag
// of the role, and the binary itself loads it (`ROLE --config FILE -h`).
// It returns the flattened keys.
func checkConfig(t *testing.T, where, role, doc string) map[string]any {
	t.Helper()
	var tree map[string]any
	if _, err := toml.Decode(doc, &tree); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	keys := map[string]any{}
	flatten("", tree, keys)
	flags := roleFlags(t, role)
	for k := range keys {
		if !flags[k] {
			t.Errorf("%s: key %q is not a flag of `postbus %s`", where, k, role)
		}
	}
	f := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(f, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(postbusBin, role, "--config", f, "-h").CombinedOutput(); err != nil {
		t.Errorf("%s: `postbus %s --config` refuses it: %v\n%s", where, role, err, lastLines(string(out), 3))
	}
	return keys
}

func flatten(prefix string, tree map[string]any, out map[string]any) {
	for k, v := range tree {
		if prefix != "" {
			k = prefix + "-" + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(k, sub, out)
			continue
		}
		out[k] = v
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// portOf returns the port of a HOST:PORT flag value.
func portOf(addr string) string {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return ""
	}
	return addr[i+1:]
}

func TestExampleConfigs(t *testing.T) {
	files, err := filepath.Glob("config/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no config/*.toml: %v", err)
	}
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		role := strings.TrimSuffix(filepath.Base(f), ".toml")
		checkConfig(t, f, role, string(doc))
	}
}

// unit is a parsed systemd unit file: section → key → values (a key may
// repeat).
type unit map[string]map[string][]string

func parseUnit(data string) (unit, error) {
	u := unit{}
	section := ""
	for n, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: bad section header %q", n+1, line)
			}
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" || strings.HasSuffix(line, "\\") {
			return nil, fmt.Errorf("line %d: want KEY=VALUE inside a section, got %q", n+1, line)
		}
		k = strings.TrimSpace(k)
		u[section][k] = append(u[section][k], strings.TrimSpace(v))
	}
	return u, nil
}

func TestSystemdUnits(t *testing.T) {
	files, err := filepath.Glob("systemd/*.service")
	if err != nil || len(files) < 3 {
		t.Fatalf("want the serve, metadata and frontend units, found %q (%v)", files, err)
	}
	roles := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		u, err := parseUnit(string(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, req := range [][2]string{{"Unit", "Description"}, {"Service", "ExecStart"}, {"Install", "WantedBy"}} {
			if len(u[req[0]][req[1]]) != 1 {
				t.Errorf("%s: want exactly one %s= in [%s]", f, req[1], req[0])
			}
		}
		templated := strings.HasSuffix(f, "@.service")
		for _, exec := range u["Service"]["ExecStart"] {
			if strings.Contains(exec, "%i") != templated {
				t.Errorf("%s: %%i in ExecStart only in (and required by) a template unit", f)
			}
			args := strings.Fields(strings.ReplaceAll(exec, "%i", "m1"))
			if len(args) < 2 || args[0] != "/usr/local/bin/postbus" {
				t.Errorf("%s: ExecStart does not run /usr/local/bin/postbus: %q", f, exec)
				continue
			}
			role, values := checkCommandLine(t, f, args[1:])
			roles[role] = true
			if cfg, ok := values["config"]; ok {
				// /etc/postbus/metadata-m1.toml is deploy/config/metadata.toml
				// installed for instance m1.
				example := filepath.Join("config", strings.Replace(filepath.Base(cfg), "-m1", "", 1))
				doc, err := os.ReadFile(example)
				if err != nil {
					t.Errorf("%s: --config %s has no example: %v", f, cfg, err)
					continue
				}
				checkConfig(t, example, role, string(doc))
			}
			if data, ok := values["data"]; ok && len(u["Service"]["StateDirectory"]) == 1 {
				want := "/var/lib/" + strings.ReplaceAll(u["Service"]["StateDirectory"][0], "%i", "m1")
				if data != want {
					t.Errorf("%s: --data %s is not the StateDirectory %s", f, data, want)
				}
			}
		}
	}
	for _, r := range []string{"serve", "metadata", "frontend"} {
		if !roles[r] {
			t.Errorf("no systemd unit runs `postbus %s`", r)
		}
	}
}

func TestParseUnitRejects(t *testing.T) {
	for _, bad := range []string{"ExecStart=x\n", "[Service\nA=b\n", "[Service]\nnot a pair\n", "[Service]\nExecStart=a \\\n"} {
		if _, err := parseUnit(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestClusterScriptSyntax(t *testing.T) {
	if out, err := exec.Command("bash", "-n", "local/cluster.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n local/cluster.sh: %v\n%s", err, out)
	}
	out, _ := exec.Command("bash", "local/cluster.sh").CombinedOutput()
	if !strings.Contains(string(out), "cluster.sh up DIR") {
		t.Fatalf("usage text missing:\n%s", out)
	}
}

// haproxyBinary finds haproxy, installing it with apt-get when missing; the
// test fails (never skips) when that is impossible.
func haproxyBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("haproxy"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/haproxy", "/usr/local/sbin/haproxy"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	apt, err := exec.LookPath("apt-get")
	if err != nil {
		t.Fatal("haproxy is not installed and apt-get is not available to install it")
	}
	install := func() error {
		// The lock timeout: another test may be installing at the same time.
		cmd := exec.Command(apt, "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", "haproxy")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, lastLines(string(out), 5))
		}
		return nil
	}
	if err := install(); err != nil {
		exec.Command(apt, "-o", "DPkg::Lock::Timeout=300", "update", "-qq").Run()
		if err := install(); err != nil {
			t.Fatalf("installing haproxy: %v", err)
		}
	}
	for _, p := range []string{"/usr/sbin/haproxy", "/usr/local/sbin/haproxy"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("haproxy installed but not found")
	return ""
}

func TestHaproxyConfig(t *testing.T) {
	bin := haproxyBinary(t)
	tmpl, err := os.ReadFile("local/haproxy.cfg.in")
	if err != nil {
		t.Fatal(err)
	}
	rendered := string(tmpl)
	for i, name := range []string{"LB_IMAPS_PORT", "LB_IMAP_PORT", "FRONTEND1_IMAPS_PORT", "FRONTEND1_IMAP_PORT", "FRONTEND2_IMAPS_PORT", "FRONTEND2_IMAP_PORT"} {
		ph := "@" + name + "@"
		if !strings.Contains(rendered, ph) {
			t.Errorf("local/haproxy.cfg.in lacks %s", ph)
		}
		rendered = strings.ReplaceAll(rendered, ph, fmt.Sprint(30000+i))
	}
	if strings.Contains(rendered, "@") {
		t.Errorf("local/haproxy.cfg.in has a placeholder cluster.sh does not fill: %q", rendered[strings.Index(rendered, "@"):][:30])
	}
	local := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(local, []byte(rendered), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"haproxy/haproxy.cfg", local} {
		out, err := exec.Command(bin, "-c", "-f", f).CombinedOutput()
		if err != nil {
			t.Errorf("haproxy -c -f %s: %v\n%s", f, err, out)
		}
		data, _ := os.ReadFile(f)
		cfg := string(data)
		for _, want := range []string{"mode tcp", "send-proxy-v2", "check-send-proxy", `tcp-check expect string "* OK"`, "check-ssl", "backend postbus_imaps", "backend postbus_imap"} {
			if !strings.Contains(cfg, want) {
				t.Errorf("%s lacks %q", f, want)
			}
		}
	}
	// A broken configuration is refused: the check above is not vacuous.
	broken := filepath.Join(t.TempDir(), "broken.cfg")
	os.WriteFile(broken, []byte("defaults\n    mode tcp\nbackend b\n    server s 127.0.0.1:1 frobnicate\n"), 0o600)
	var out bytes.Buffer
	cmd := exec.Command(bin, "-c", "-f", broken)
	cmd.Stdout, cmd.Stderr = &out, &out
	var ee *exec.ExitError
	if err := cmd.Run(); !errors.As(err, &ee) {
		t.Errorf("haproxy -c accepted a broken configuration (%v): %s", err, out.String())
	}
}
