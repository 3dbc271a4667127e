package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configFlagSet is a command with the kinds of flags postbus has.
func configFlagSet() (*flag.FlagSet, *serveFlags, *proxyFlags) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	var f serveFlags
	f.register(fs)
	var p *proxyFlags
	if fs.Lookup("proxy-protocol-imaps") == nil {
		p = registerProxyFlags(fs)
	}
	fs.String("etcd", "", "endpoints")
	fs.Int("shards", 0, "count")
	fs.Float64("ratio", 0, "a float")
	return fs, &f, p
}

func TestApplyConfig(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    map[string]string // flag → value afterwards
		wantErr string
	}{
		{name: "flat keys", doc: "data = \"/var/lib/postbus\"\nimaps-addr = \"0.0.0.0:993\"\ninsecure-auth = true\n",
			want: map[string]string{"data": "/var/lib/postbus", "imaps-addr": "0.0.0.0:993", "insecure-auth": "true"}},
		{name: "table keys", doc: "[s3]\nendpoint = \"http://127.0.0.1:9000\"\nbucket = \"mail\"\n[log]\nlevel = \"debug\"\n",
			want: map[string]string{"s3-endpoint": "http://127.0.0.1:9000", "s3-bucket": "mail", "log-level": "debug"}},
		{name: "nested tables", doc: "[proxy.protocol]\nimaps = true\n",
			want: map[string]string{"proxy-protocol-imaps": "true"}},
		{name: "list joined", doc: "etcd = [\"http://a:2379\", \"http://b:2379\"]\n",
			want: map[string]string{"etcd": "http://a:2379,http://b:2379"}},
		{name: "numbers", doc: "shards = 256\nratio = 0.5\n", want: map[string]string{"shards": "256", "ratio": "0.5"}},
		{name: "trusted networks", doc: "proxy-trusted = [\"10.0.0.0/8\", \"192.0.2.7\"]\n"},
		{name: "empty file", doc: "", want: map[string]string{"data": "./postbus-data"}},

		{name: "unknown key", doc: "imaps-adr = \"x\"\n", wantErr: `unknown key "imaps-adr"`},
		{name: "unknown table key", doc: "[s3]\nendpont = \"x\"\n", wantErr: `unknown key "s3-endpont"`},
		{name: "config in config", doc: "config = \"other.toml\"\n", wantErr: `unknown key "config"`},
		{name: "bool for a value flag", doc: "data = true\n", wantErr: "takes a value"},
		{name: "string for a switch", doc: "insecure-auth = \"yes\"\n", wantErr: "is a switch"},
		{name: "bad flag value", doc: "shards = \"many\"\n", wantErr: `key "shards"`},
		{name: "bad network", doc: "proxy-trusted = \"10.0.0.300/8\"\n", wantErr: "bad network"},
		{name: "duplicate", doc: "s3-bucket = \"a\"\n[s3]\nbucket = \"b\"\n", wantErr: "given twice"},
		{name: "syntax error", doc: "data = \n", wantErr: "config"},
		{name: "datetime", doc: "data = 1979-05-27T07:32:00Z\n", wantErr: "unsupported value"},
		{name: "list with comma", doc: "etcd = [\"a,b\"]\n", wantErr: "contains a comma"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, _, _ := configFlagSet()
			err := applyConfig(fs, tc.doc)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, errConfig) {
					t.Fatalf("err = %v, want one containing %q wrapping errConfig", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tc.want {
				if got := fs.Lookup(name).Value.String(); got != want {
					t.Errorf("--%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

// The command line overrides the file; the file overrides the defaults.
func TestParseWithConfigFlagsOverride(t *testing.T) {
	path := filepath.Join(t.TempDir(), "postbus.toml")
	doc := "data = \"/from/file\"\nimap-addr = \"127.0.0.1:2143\"\n[s3]\nbucket = \"file-bucket\"\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--config", path, "--data", "/from/flag"},
		{"--data=/from/flag", "-config=" + path},
		{"--data", "/from/flag", "--config", path},
	} {
		fs, f, _ := configFlagSet()
		pos, err := parseWithConfig(fs, args)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if len(pos) != 0 || f.data != "/from/flag" || f.imapAddr != "127.0.0.1:2143" || f.s3Bucket != "file-bucket" {
			t.Fatalf("%q: pos=%q data=%q imap=%q bucket=%q", args, pos, f.data, f.imapAddr, f.s3Bucket)
		}
	}
}

func TestParseWithConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("nope = 1\n"), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--config", filepath.Join(dir, "missing.toml")}, "no such file"},
		{[]string{"--config"}, "needs an argument"},
		{[]string{"--config", bad}, `bad.toml: config: unknown key "nope"`},
	}
	for _, tc := range tests {
		fs, _, _ := configFlagSet()
		_, err := parseWithConfig(fs, tc.args)
		var ue usageError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ue) {
			t.Errorf("%q: err = %v, want a usage error containing %q", tc.args, err, tc.want)
		}
	}
	// No --config: plain parsing; "--" ends the search for it.
	fs, f, _ := configFlagSet()
	pos, err := parseWithConfig(fs, []string{"--data", "d", "--", "--config", bad})
	if err != nil || f.data != "d" || len(pos) != 2 {
		t.Fatalf("pos=%q data=%q err=%v", pos, f.data, err)
	}
}

// The TOML examples shipped in deploy/ must load into the commands they
// are for.
func TestDeployConfigExamplesLoad(t *testing.T) {
	path := filepath.Join("..", "..", "deploy", "config", "serve.toml")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("example config missing: %v", err)
	}
	fs, f, _ := configFlagSet()
	if err := applyConfigFile(fs, path); err != nil {
		t.Fatal(err)
	}
	if f.data == "./postbus-data" {
		t.Errorf("example config did not set --data")
	}
}

func TestApplyYAMLConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "postbus.yaml")
	os.WriteFile(good, []byte("data: /from/yaml\ninsecure-auth: true\nshards: 128\nratio: 0.25\netcd:\n  - http://a:2379\n  - http://b:2379\ns3:\n  bucket: yaml-bucket\n"), 0o600)
	fs, f, _ := configFlagSet()
	if err := applyConfigFile(fs, good); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"data": "/from/yaml", "insecure-auth": "true", "shards": "128", "ratio": "0.25",
		"etcd": "http://a:2379,http://b:2379", "s3-bucket": "yaml-bucket"}
	for name, v := range want {
		if got := fs.Lookup(name).Value.String(); got != v {
			t.Errorf("--%s = %q, want %q", name, got, v)
		}
	}
	if !f.insecureAuth {
		t.Error("insecure-auth not set")
	}
	for doc, wantErr := range map[string]string{
		"imaps-adr: x\n":       `unknown key "imaps-adr"`,
		"data: [unclosed\n":    "config",
		"insecure-auth: yes\n": "", // YAML 1.2 (yaml.v3): "yes" is a string, refused for a switch
	} {
		bad := filepath.Join(dir, "bad.yml")
		os.WriteFile(bad, []byte(doc), 0o600)
		fs, _, _ := configFlagSet()
		err := applyConfigFile(fs, bad)
		if err == nil || !errors.Is(err, errConfig) || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%q: err = %v, want one containing %q", doc, err, wantErr)
		}
	}
}
