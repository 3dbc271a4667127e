package deploy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// obj is one decoded Kubernetes object; get walks it by keys and indexes.
type obj = map[string]any

func get(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, keys ...any) string {
	s, _ := get(v, keys...).(string)
	return s
}

func list(v any, keys ...any) []any {
	l, _ := get(v, keys...).([]any)
	return l
}

func strMap(v any, keys ...any) map[string]string {
	out := map[string]string{}
	m, _ := get(v, keys...).(map[string]any)
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// loadManifests decodes every document of every kubernetes/*.yaml.
func loadManifests(t *testing.T) []obj {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no kubernetes/*.yaml: %v", err)
	}
	var objs []obj
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(fh)
		for i := 0; ; i++ {
			var o obj
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			if o == nil {
				continue
			}
			o["__file"] = f
			objs = append(objs, o)
		}
		fh.Close()
	}
	return objs
}

var apiVersions = map[string]string{
	"ConfigMap":           "v1",
	"Service":             "v1",
	"StatefulSet":         "apps/v1",
	"Deployment":          "apps/v1",
	"PodDisruptionBudget": "policy/v1",
}

// flagPortNames says which named container port each listening flag must
// agree with.
var flagPortNames = map[string]string{
	"imaps-addr": "imaps",
	"imap-addr":  "imap",
	"http-addr":  "http",
	"listen":     "grpc",
}

func subset(sub, of map[string]string) bool {
	if len(sub) == 0 {
		return false
	}
	for k, v := range sub {
		if of[k] != v {
			return false
		}
	}
	return true
}

func TestKubernetesManifests(t *testing.T) {
	objs := loadManifests(t)
	kinds := map[string][]obj{}
	for _, o := range objs {
		where := fmt.Sprintf("%s %s/%s", o["__file"], str(o, "kind"), str(o, "metadata", "name"))
		kind := str(o, "kind")
		want, known := apiVersions[kind]
		if !known {
			t.Errorf("%s: unexpected kind %q", where, kind)
			continue
		}
		if str(o, "apiVersion") != want {
			t.Errorf("%s: apiVersion %q, want %q", where, str(o, "apiVersion"), want)
		}
		if str(o, "metadata", "name") == "" {
			t.Errorf("%s: no metadata.name", where)
		}
		kinds[kind] = append(kinds[kind], o)
	}
	for kind := range apiVersions {
		if len(kinds[kind]) == 0 {
			t.Errorf("no %s in kubernetes/", kind)
		}
	}

	configMaps := map[string]map[string]string{}
	for _, cm := range kinds["ConfigMap"] {
		configMaps[str(cm, "metadata", "name")] = strMap(cm, "data")
	}
	services := map[string]obj{}
	for _, s := range kinds["Service"] {
		services[str(s, "metadata", "name")] = s
	}

	type workload struct {
		o      obj
		labels map[string]string
		ports  map[string]int // container port name → number
	}
	var workloads []workload
	roleSettings := map[string]map[string]any{}
	for _, w := range append(kinds["StatefulSet"], kinds["Deployment"]...) {
		name := str(w, "kind") + "/" + str(w, "metadata", "name")
		labels := strMap(w, "spec", "template", "metadata", "labels")
		if !subset(strMap(w, "spec", "selector", "matchLabels"), labels) {
			t.Errorf("%s: selector.matchLabels do not select its own pod template", name)
		}
		containers := list(w, "spec", "template", "spec", "containers")
		if len(containers) != 1 {
			t.Errorf("%s: want one container, have %d", name, len(containers))
			continue
		}
		c := containers[0]
		ports := map[string]int{}
		for _, p := range list(c, "ports") {
			n, _ := get(p, "containerPort").(int)
			if str(p, "name") == "" || n <= 0 {
				t.Errorf("%s: container port without name or number: %v", name, p)
			}
			ports[str(p, "name")] = n
		}
		for _, probe := range []string{"livenessProbe", "readinessProbe"} {
			port := str(c, probe, "httpGet", "port")
			if _, ok := ports[port]; !ok {
				t.Errorf("%s: %s on port %q, which the container does not name", name, probe, port)
			}
		}
		wantPath := map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"}
		for probe, p := range wantPath {
			if got := str(c, probe, "httpGet", "path"); got != p {
				t.Errorf("%s: %s path %q, want %q", name, probe, got, p)
			}
		}

		// The command line and the configuration file it names.
		var args []string
		for _, a := range list(c, "args") {
			args = append(args, fmt.Sprint(a))
		}
		role, values := checkCommandLine(t, name, args)
		settings := map[string]any{}
		if cfg := values["config"]; cfg != "" {
			mounts := map[string]string{} // mount path → volume name
			for _, m := range list(c, "volumeMounts") {
				mounts[str(m, "mountPath")] = str(m, "name")
			}
			vol := mounts[path.Dir(cfg)]
			cmName := ""
			for _, v := range list(w, "spec", "template", "spec", "volumes") {
				if str(v, "name") == vol {
					cmName = str(v, "configMap", "name")
				}
			}
			doc, ok := configMaps[cmName][path.Base(cfg)]
			if !ok {
				t.Errorf("%s: --config %s is not a key of a ConfigMap mounted there", name, cfg)
			} else {
				settings = checkConfig(t, name+" "+cfg, role, doc)
			}
		}
		for k, v := range values {
			settings[k] = v // flags override the file
		}
		roleSettings[role] = settings
		for flagName, portName := range flagPortNames {
			v, ok := settings[flagName]
			if !ok {
				continue
			}
			p := portOf(fmt.Sprint(v))
			if want, ok := ports[portName]; !ok || strconv.Itoa(want) != p {
				t.Errorf("%s: --%s %v listens on port %s but container port %q is %d", name, flagName, v, p, portName, ports[portName])
			}
			delete(ports, portName)
		}
		for portName := range ports {
			t.Errorf("%s: container port %q matches no listening flag", name, portName)
		}

		if str(w, "kind") == "StatefulSet" {
			svc, ok := services[str(w, "spec", "serviceName")]
			if !ok || str(svc, "spec", "clusterIP") != "None" {
				t.Errorf("%s: serviceName %q is not a headless Service", name, str(w, "spec", "serviceName"))
			}
			claims := list(w, "spec", "volumeClaimTemplates")
			if len(claims) == 0 {
				t.Errorf("%s: no volumeClaimTemplates", name)
			}
			mounted := false
			for _, m := range list(c, "volumeMounts") {
				for _, cl := range claims {
					if str(m, "name") == str(cl, "metadata", "name") && fmt.Sprint(settings["data"]) == str(m, "mountPath") {
						mounted = true
					}
				}
			}
			if !mounted {
				t.Errorf("%s: --data %v is not a volumeClaimTemplate's mount", name, settings["data"])
			}
			if role != "metadata" {
				t.Errorf("%s: runs %q, want the metadata role", name, role)
			}
		} else if role != "frontend" {
			t.Errorf("%s: runs %q, want the frontend role", name, role)
		}
		ports = map[string]int{}
		for _, p := range list(c, "ports") {
			ports[str(p, "name")], _ = get(p, "containerPort").(int)
		}
		workloads = append(workloads, workload{o: w, labels: labels, ports: ports})
	}

	// The roles agree on the cluster and the bucket: a metadata node reads
	// the bodies the frontends write.
	for _, k := range []string{"etcd", "etcd-prefix", "s3-endpoint", "s3-bucket", "s3-prefix"} {
		if a, b := fmt.Sprint(roleSettings["metadata"][k]), fmt.Sprint(roleSettings["frontend"][k]); a != b {
			t.Errorf("metadata and frontend disagree on --%s: %s vs %s", k, a, b)
		}
	}

	// Every Service and PodDisruptionBudget selects a workload, and every
	// Service port reaches a container port.
	selected := func(sel map[string]string) *workload {
		for i := range workloads {
			if subset(sel, workloads[i].labels) {
				return &workloads[i]
			}
		}
		return nil
	}
	for _, s := range kinds["Service"] {
		name := "Service/" + str(s, "metadata", "name")
		w := selected(strMap(s, "spec", "selector"))
		if w == nil {
			t.Errorf("%s: selects no workload", name)
			continue
		}
		if len(list(s, "spec", "ports")) == 0 {
			t.Errorf("%s: no ports", name)
		}
		for _, p := range list(s, "spec", "ports") {
			target := get(p, "targetPort")
			found := false
			for pn, num := range w.ports {
				if target == pn || target == num {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: targetPort %v is not a container port of %s", name, target, str(w.o, "metadata", "name"))
			}
		}
	}
	for _, p := range kinds["PodDisruptionBudget"] {
		name := "PodDisruptionBudget/" + str(p, "metadata", "name")
		if selected(strMap(p, "spec", "selector", "matchLabels")) == nil {
			t.Errorf("%s: selects no workload", name)
		}
		if (get(p, "spec", "minAvailable") == nil) == (get(p, "spec", "maxUnavailable") == nil) {
			t.Errorf("%s: want exactly one of minAvailable and maxUnavailable", name)
		}
	}
	// The public Service offers the IMAP ports.
	public := map[int]bool{}
	for _, s := range kinds["Service"] {
		if str(s, "spec", "type") == "LoadBalancer" {
			for _, p := range list(s, "spec", "ports") {
				n, _ := get(p, "port").(int)
				public[n] = true
			}
		}
	}
	if !public[993] || !public[143] {
		t.Errorf("no LoadBalancer Service offers 993 and 143 (have %v)", public)
	}
	if !strings.Contains(fmt.Sprint(objs), "volumeClaimTemplates") {
		t.Error("no volumeClaimTemplates anywhere")
	}
}
