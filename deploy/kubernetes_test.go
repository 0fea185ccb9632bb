package deploy_test

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// manifests are the objects of deploy/kubernetes, decoded strictly.
type manifests struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	pdbs        []policyv1.PodDisruptionBudget
	jobs        []batchv1.Job
	secrets     []corev1.Secret
	accounts    []corev1.ServiceAccount
}

// decodeStrict is the schema check: YAML to JSON refusing duplicate keys,
// then into the typed structs of k8s.io/api (the Go types the API server's
// own OpenAPI schema is generated from) refusing any unknown field, which
// catches a misspelt or misplaced key the way kubeconform's strict mode
// does; quantities, durations and int-or-strings are parsed by their types.
func decodeStrict(doc []byte, into any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func readManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests under deploy/kubernetes: %v", err)
	}
	var m manifests
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for i := 0; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var meta struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &meta); err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			if meta.Kind == "" { // a document of comments only
				continue
			}
			gv, err := schema.ParseGroupVersion(meta.APIVersion)
			if err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			var into any
			switch gv.WithKind(meta.Kind) {
			case appsv1.SchemeGroupVersion.WithKind("Deployment"):
				m.deployments = append(m.deployments, appsv1.Deployment{})
				into = &m.deployments[len(m.deployments)-1]
			case corev1.SchemeGroupVersion.WithKind("Service"):
				m.services = append(m.services, corev1.Service{})
				into = &m.services[len(m.services)-1]
			case policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"):
				m.pdbs = append(m.pdbs, policyv1.PodDisruptionBudget{})
				into = &m.pdbs[len(m.pdbs)-1]
			case batchv1.SchemeGroupVersion.WithKind("Job"):
				m.jobs = append(m.jobs, batchv1.Job{})
				into = &m.jobs[len(m.jobs)-1]
			case corev1.SchemeGroupVersion.WithKind("Secret"):
				m.secrets = append(m.secrets, corev1.Secret{})
				into = &m.secrets[len(m.secrets)-1]
			case corev1.SchemeGroupVersion.WithKind("ServiceAccount"):
				m.accounts = append(m.accounts, corev1.ServiceAccount{})
				into = &m.accounts[len(m.accounts)-1]
			default:
				t.Fatalf("%s document %d: %s %s is not checked by this test", f, i, meta.APIVersion, meta.Kind)
			}
			if err := decodeStrict(doc, into); err != nil {
				t.Errorf("%s document %d (%s): %v", f, i, meta.Kind, err)
			}
		}
	}
	return m
}

// TestDecodeStrictCatches: the schema check refuses what kubectl would
// (an unknown or misplaced field, a bad quantity, a duplicate key), so a
// pass means something.
func TestDecodeStrictCatches(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"unknown field":  "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: 3\n",
		"misplaced":      "apiVersion: v1\nkind: Service\nspec:\n  ports:\n    - port: 80\n      readinessProbe: {}\n",
		"bad quantity":   "apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n      containers:\n        - name: x\n          resources:\n            limits:\n              memory: lots\n",
		"duplicate key":  "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  name: b\n",
		"wrong type":     "apiVersion: policy/v1\nkind: PodDisruptionBudget\nspec:\n  selector: app\n",
		"probe port int": "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: x\n          livenessProbe:\n            httpGet:\n              port: [80]\n",
	} {
		var into any
		switch {
		case strings.Contains(doc, "Deployment"):
			into = &appsv1.Deployment{}
		case strings.Contains(doc, "Service\n"):
			into = &corev1.Service{}
		case strings.Contains(doc, "Job"):
			into = &batchv1.Job{}
		case strings.Contains(doc, "Secret"):
			into = &corev1.Secret{}
		default:
			into = &policyv1.PodDisruptionBudget{}
		}
		if err := decodeStrict([]byte(doc), into); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestKubernetesManifests: every manifest decodes strictly, and they fit
// together and with the binary: the pods run as non-root with a read-only
// root, no capability and the default seccomp profile; probes hit /healthz
// and /readyz on a declared port; the Service and the budget select the
// Deployment's pods; every mounted secret key exists; the grace period
// covers the drain and both shutdown waits; and every INTAKE_* variable is
// one `intake serve` reads.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	m := readManifests(t)
	if len(m.deployments) != 1 || len(m.services) != 1 || len(m.pdbs) != 1 || len(m.jobs) != 1 || len(m.secrets) != 1 {
		t.Fatalf("want one Deployment, Service, PodDisruptionBudget, migration Job and Secret; have %d, %d, %d, %d, %d",
			len(m.deployments), len(m.services), len(m.pdbs), len(m.jobs), len(m.secrets))
	}
	d, svc, pdb, job, secret := m.deployments[0], m.services[0], m.pdbs[0], m.jobs[0], m.secrets[0]
	flags := serveVariables(t)

	pods := map[string]corev1.PodSpec{"Deployment": d.Spec.Template.Spec, "Job": job.Spec.Template.Spec}
	for what, pod := range pods {
		checkPodSecurity(t, what, pod)
		checkSecretMounts(t, what, pod, secret)
		for _, c := range pod.Containers {
			for _, e := range c.Env {
				if name, ok := strings.CutPrefix(e.Name, "INTAKE_"); ok && !flags["INTAKE_"+strings.TrimSuffix(name, "_FILE")] {
					t.Errorf("%s: %s is no variable of intake serve", what, e.Name)
				}
			}
		}
	}
	if d.Spec.Template.Spec.Containers[0].Image != job.Spec.Template.Spec.Containers[0].Image {
		t.Error("the migration Job runs another image than the Deployment")
	}
	c := d.Spec.Template.Spec.Containers[0]
	if !slices.Contains(c.Args, "--skip-migrations") || !slices.Equal(job.Spec.Template.Spec.Containers[0].Args, []string{"migrate"}) {
		t.Errorf("replicas %q must skip the migrations that the Job %q runs", c.Args, job.Spec.Template.Spec.Containers[0].Args)
	}
	ports := map[string]bool{}
	for _, p := range c.Ports {
		ports[p.Name] = true
	}
	for name, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
		want := map[string]string{"liveness": "/healthz", "readiness": "/readyz", "startup": "/healthz"}[name]
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want || !ports[probe.HTTPGet.Port.String()] {
			t.Errorf("%s probe %+v: want GET %s on a declared port", name, probe, want)
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want CPU and memory requests and a memory limit", c.Resources)
	}

	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	dur := func(name, def string) time.Duration {
		v, err := time.ParseDuration(cmp.Or(env[name], def))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	// Shutdown waits for requests, then for jobs, each up to the timeout.
	need := dur("INTAKE_DRAIN_DELAY", "0s") + 2*dur("INTAKE_SHUTDOWN_TIMEOUT", "30s")
	if grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds; grace == nil || time.Duration(*grace)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds %v does not cover drain and shutdown (%v)", grace, need)
	}
	if d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Error("a rolling update must not take a replica down before its successor is ready (maxUnavailable 0)")
	}

	podLabels := labels.Set(d.Spec.Template.Labels)
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	if len(svc.Spec.Selector) == 0 || !sel.Matches(podLabels) {
		t.Errorf("the Service selects %v, not the pods %v", svc.Spec.Selector, podLabels)
	}
	for _, p := range svc.Spec.Ports {
		if !ports[p.TargetPort.String()] {
			t.Errorf("Service port %s targets %s, which the container does not declare", p.Name, p.TargetPort.String())
		}
	}
	if pdb.Spec.Selector == nil || !labels.SelectorFromSet(pdb.Spec.Selector.MatchLabels).Matches(podLabels) {
		t.Error("the PodDisruptionBudget does not select the Deployment's pods")
	}
	if dsel := labels.SelectorFromSet(d.Spec.Selector.MatchLabels); !dsel.Matches(podLabels) {
		t.Error("the Deployment's selector does not match its own pods")
	}
	if pdb.Spec.MaxUnavailable == nil || int32(pdb.Spec.MaxUnavailable.IntValue()) >= *d.Spec.Replicas {
		t.Error("the PodDisruptionBudget lets every replica go at once")
	}
}

func checkPodSecurity(t *testing.T, what string, pod corev1.PodSpec) {
	t.Helper()
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v: want runAsNonRoot, a non-zero runAsUser, seccomp RuntimeDefault", what, psc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token Intake does not use", what)
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
			t.Errorf("%s container %s: securityContext %+v: want a read-only root, no privilege escalation, every capability dropped", what, c.Name, sc)
		}
	}
}

// checkSecretMounts: every secret volume names the Secret, every key it
// mounts is in it, and every *_FILE variable points into a mounted volume.
func checkSecretMounts(t *testing.T, what string, pod corev1.PodSpec, secret corev1.Secret) {
	t.Helper()
	mounted := map[string]string{} // volume name → mount path
	for _, c := range pod.Containers {
		for _, vm := range c.VolumeMounts {
			mounted[vm.Name] = vm.MountPath
		}
	}
	var files []string
	for _, v := range pod.Volumes {
		if v.Secret == nil {
			continue
		}
		if v.Secret.SecretName != secret.Name {
			t.Errorf("%s: volume %s mounts Secret %q, which is not in the manifests", what, v.Name, v.Secret.SecretName)
		}
		for _, it := range v.Secret.Items {
			if _, ok := secret.StringData[it.Key]; !ok {
				t.Errorf("%s: volume %s mounts key %q, which Secret %s lacks", what, v.Name, it.Key, secret.Name)
			}
			files = append(files, filepath.Join(mounted[v.Name], it.Path))
		}
	}
	for _, c := range pod.Containers {
		for _, e := range c.Env {
			if strings.HasSuffix(e.Name, "_FILE") && !slices.Contains(files, e.Value) {
				t.Errorf("%s: %s=%s is no mounted secret file (%v)", what, e.Name, e.Value, files)
			}
		}
	}
}

// serveVariables are the INTAKE_* variables that `intake serve --help`
// names, from the binary the Dockerfile builds.
func serveVariables(t *testing.T) map[string]bool {
	t.Helper()
	out, _ := exec.Command(filepath.Join(buildStage(t), "intake"), "serve", "--help").CombinedOutput()
	vars := map[string]bool{}
	for _, m := range regexp.MustCompile(`\((INTAKE_[A-Z_]+)\)`).FindAllStringSubmatch(string(out), -1) {
		vars[m[1]] = true
	}
	if len(vars) < 10 {
		t.Fatalf("intake serve --help names %d variables:\n%s", len(vars), out)
	}
	return vars
}
