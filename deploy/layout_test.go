package deploy_test

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// distrolessEnv is what gcr.io/distroless/static's image configuration
// and the container runtime set before the Dockerfile's ENV: the image's
// PATH and SSL_CERT_FILE, and HOME from its /etc/passwd.
var distrolessEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
	"HOME=/home/nonroot",
	"HOSTNAME=intake-layout-test",
}

// TestContainerLayout proves the image's layout without a container
// runtime (none runs here, and base images need a registry this machine
// cannot reach). It builds the binary with the Dockerfile's own build-stage
// commands, lays out a root file system as the final stage does over a
// stand-in for distroless/static (its /etc/passwd, /tmp, /home/nonroot and
// CA bundle), mounts a volume at each VOLUME, and runs ENTRYPOINT+CMD as
// `docker run --read-only` would: in its own mount and network namespaces,
// the root read-only and only the volumes writable, as the USER, with no
// capabilities, with exactly the image's environment. The HEALTHCHECK
// command then runs inside the container's namespaces, as `docker exec`
// would, and must pass; so must /readyz; SIGTERM must end it cleanly.
//
// It needs root (mount namespaces), which CI has; elsewhere it is skipped.
func TestContainerLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary")
	}
	for _, tool := range []string{"unshare", "nsenter", "ip", "mount", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, tool+" is not installed (util-linux, iproute2)")
		}
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root for mount and network namespaces")
	}
	t.Parallel()
	img := parseDockerfile(t, "../Dockerfile")
	out := buildStage(t)
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	uid, gid := userIDs(t, img.user)
	layDistroless(t, root)
	for _, c := range img.copies {
		src, ok := strings.CutPrefix(c.src, "/out/")
		if !ok {
			t.Fatalf("COPY %s: the layout test maps only the build stage's /out", c.src)
		}
		owner := [2]int{0, 0}
		if c.chown != "" {
			u, g := userIDs(t, c.chown)
			owner = [2]int{u, g}
		}
		copyTree(t, filepath.Join(out, src), filepath.Join(root, c.dest), owner)
	}
	// A named volume starts as a copy of what the image has at its path:
	// here empty, with that folder's owner and mode.
	var mounts []string
	for i, v := range img.volumes {
		vol := filepath.Join(tmp, "volume"+strconv.Itoa(i))
		copyTree(t, filepath.Join(root, v), vol, ownerOf(t, filepath.Join(root, v)))
		mounts = append(mounts, `mount --bind "`+vol+`" "`+root+v+`"`)
	}
	before := tree(t, root)

	env := slices.Concat(distrolessEnv, img.env)
	program := slices.Concat(img.entrypoint, img.cmd)
	script := strings.Join(slices.Concat([]string{
		"set -e",
		"ip link set lo up",
		`mount --bind "$ROOT" "$ROOT"`,
	}, mounts, []string{
		`mount -t proc proc "$ROOT/proc"`,
		`mount --rbind /dev "$ROOT/dev"`,
		`mount -o remount,bind,ro "$ROOT"`,
		`exec unshare --root="$ROOT" --wd=/home/nonroot --setuid ` + strconv.Itoa(uid) + ` --setgid ` + strconv.Itoa(gid) + ` -- "$@"`,
	}), "\n")
	srv := exec.Command("unshare", append([]string{"--mount", "--net", "--propagation", "private", "--", "sh", "-c", script, "sh"}, program...)...)
	srv.Env = append(slices.Clone(env), "ROOT="+root)
	var logs syncBuf
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	defer func() {
		if srv.ProcessState == nil {
			srv.Process.Kill()
			<-exited
		}
	}()
	pid := strconv.Itoa(srv.Process.Pid)
	// inside runs a command in the container, as `docker exec` would.
	inside := func(args ...string) ([]byte, error) {
		cmd := exec.Command("nsenter", append([]string{"--target", pid, "--mount", "--net", "--root", "--wd",
			"--setuid", strconv.Itoa(uid), "--setgid", strconv.Itoa(gid), "--"}, args...)...)
		cmd.Env = env
		return cmd.CombinedOutput()
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		b, err := inside(img.health...)
		if err == nil {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the container exited (%v) before its health check passed:\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("HEALTHCHECK %q never passed: %s\n%s", img.health, b, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if b, err := inside(append(slices.Clone(img.health), "--path", "/readyz")...); err != nil {
		t.Fatalf("/readyz: %v: %s\n%s", err, b, logs.String())
	}

	status := procStatus(t, pid)
	for field, want := range map[string]string{
		"Uid": strings.Repeat(strconv.Itoa(uid)+"\t", 3) + strconv.Itoa(uid),
		"Gid": strings.Repeat(strconv.Itoa(gid)+"\t", 3) + strconv.Itoa(gid),
		// Groups: none but the primary group; CapEff: no capability.
		"Groups": "", "CapEff": "0000000000000000",
	} {
		if status[field] != want {
			t.Errorf("the server's %s is %q, want %q", field, status[field], want)
		}
	}
	// Everything the embedded default writes is in the volume, owned by
	// the user; the root file system is as laid out.
	vol := filepath.Join(tmp, "volume0")
	for name, mode := range map[string]fs.FileMode{"intake.db": 0, "master.key": 0o600} {
		fi, err := os.Stat(filepath.Join(vol, name))
		if err != nil {
			t.Errorf("the data volume lacks %s: %v", name, err)
			continue
		}
		if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid {
			t.Errorf("%s is owned by uid %d, want %d", name, st.Uid, uid)
		}
		if mode != 0 && fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	if after := tree(t, root); !slices.Equal(before, after) {
		t.Errorf("the root file system changed:\nbefore %q\nafter  %q", before, after)
	}

	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("still running a minute after SIGTERM\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"shutting down"`) {
		t.Errorf("no graceful shutdown logged:\n%s", logs.String())
	}
}

// skipOrFail skips where the test's tools are missing, but fails in CI,
// where .ci/run installs them: a skipped layout test would prove nothing.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// layDistroless writes the parts of gcr.io/distroless/static that Intake
// can touch: the passwd and group files with its nonroot user, /tmp, the
// nonroot home, the CA bundle, and the mount points a runtime fills.
func layDistroless(t *testing.T, root string) {
	t.Helper()
	for dir, mode := range map[string]fs.FileMode{"etc/ssl/certs": 0o755, "tmp": 0o1777, "home/nonroot": 0o700, "proc": 0o555, "dev": 0o755} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(root, dir), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(filepath.Join(root, "home/nonroot"), 65532, 65532); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
		"etc/group":  "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
	}
	if b, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		files["etc/ssl/certs/ca-certificates.crt"] = string(b)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// copyTree copies src (a file or a folder) to dst as COPY does: modes kept,
// every entry owned by owner.
func copyTree(t *testing.T, src, dst string, owner [2]int) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			err = os.MkdirAll(to, 0o755)
		} else {
			err = copyFile(p, to)
		}
		if err == nil {
			err = os.Chmod(to, fi.Mode().Perm())
		}
		if err == nil {
			err = os.Lchown(to, owner[0], owner[1])
		}
		return err
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := os.Create(dst)
	if err != nil {
		return err
	}
	_, err = io.Copy(o, in)
	if cerr := o.Close(); err == nil {
		err = cerr
	}
	return err
}

func ownerOf(t *testing.T, path string) [2]int {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return [2]int{int(st.Uid), int(st.Gid)}
}

// userIDs reads a numeric USER or --chown value, uid[:gid].
func userIDs(t *testing.T, spec string) (int, int) {
	t.Helper()
	u, g, ok := strings.Cut(spec, ":")
	if !ok {
		g = u
	}
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if err1 != nil || err2 != nil {
		t.Fatalf("%q: want numeric uid:gid", spec)
	}
	return uid, gid
}

// tree lists every path under root with its size and mode.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, p+" "+fi.Mode().String()+" "+strconv.FormatInt(fi.Size(), 10))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// procStatus reads /proc/PID/status into field → value.
func procStatus(t *testing.T, pid string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// syncBuf collects a child's output while the test reads it.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
