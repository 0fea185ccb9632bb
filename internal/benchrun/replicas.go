package benchrun

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/intakehq/intake/internal/benchrun/rawlimit"
	"github.com/intakehq/intake/internal/config"
	"github.com/intakehq/intake/internal/server"
	"github.com/intakehq/intake/internal/server/servertest"
)

// ReplicaClients is how many clients upload at once to the replicas: each
// import's chunks are spread over the replicas, chunk n of import i to
// replica (i+n) mod N, as a load balancer without affinity would.
const ReplicaClients = 6

// replicaImports is how many imports of the data set each replica count
// uploads: about a million rows, 6 to 60 imports.
func replicaImports(rows int) int { return min(60, max(ReplicaClients, 1_000_000/rows)) }

// replicas measures 1 … o.Replicas `intake serve` processes on one
// PostgreSQL schema (fresh, dropped at the end), one shared file blob folder
// and one master key, in one sitting: the demo template, stored mode,
// ReplicaClients clients through the upload API. Beside each figure: the
// CPU of every process involved (replicas, PostgreSQL, this process's
// clients), where the replicas' CPU went (kernel share, GCs, bytes
// allocated, page faults, context switches), and the raw limit of the same
// sitting, the same clients posting the same bodies to a bare sink.
func (r *run) replicas() {
	base := r.o.DatabaseURL
	schemaURL, err := freshSchema(r.tb, base)
	if err != nil {
		r.tb.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	metricsToken := rand.Text()
	blobs := r.tb.TempDir()
	pg, err := NewPGMeter(context.Background(), base)
	if err != nil {
		r.tb.Fatal(err)
	}
	defer pg.Close()
	shared := []string{
		"INTAKE_DATABASE_URL=" + pg.Tag(schemaURL),
		"INTAKE_BLOB_URL=file://" + blobs,
		"INTAKE_MASTER_KEY_URL=base64key://" + base64.URLEncoding.EncodeToString(key),
		"INTAKE_LOG_LEVEL=info",
		// /metrics on, for the replicas' Go runtime counters.
		"INTAKE_METRICS_TOKEN=" + metricsToken,
	}
	// The schema, the organization and the importer, made by a server of
	// this process on the same database, blobs and key.
	env := servertest.Start(r.tb, servertest.Options{Configure: func(c *config.Config) {
		c.DatabaseURL, c.BlobURL, c.MasterKeyURL = schemaURL, "file://"+blobs, "base64key://"+base64.URLEncoding.EncodeToString(key)
	}})
	imp := newImporter(r.tb, env, "replicas", string(server.DemoTemplate))
	imports := replicaImports(r.rows)
	total := float64(imports * r.rows)

	sink, err := rawlimit.NewSink()
	if err != nil {
		r.tb.Fatal(err)
	}
	defer sink.Close()
	raw, err := rawlimit.Measure(func() error {
		return parallel(imports*len(r.bodies), func(j int) error { return rawlimit.Post(sink.URL, r.bodies[j%len(r.bodies)]) })
	})
	if err != nil {
		r.tb.Fatal(err)
	}
	sent := 0
	for _, b := range r.bodies {
		sent += imports * len(b)
	}
	gomaxprocs := "default"
	if v := os.Getenv("GOMAXPROCS"); v != "" {
		gomaxprocs = v
	}
	// ReplicaPairs pairs of rounds, 1 … N then N … 1: the load of a
	// shared machine drifts during a sitting, and the mirrored order gives
	// every N the same share of the drift; each half of a pair measures
	// every N once, so that N is compared with 1 half by half.
	rounds := make([][]round, r.o.Replicas+1)
	var order []int
	for range ReplicaPairs {
		for n := 1; n <= r.o.Replicas; n++ {
			order = append(order, n)
		}
		for n := r.o.Replicas; n >= 1; n-- {
			order = append(order, n)
		}
	}
	idle := make([]idleCost, r.o.Replicas+1)
	for _, n := range order {
		first := len(rounds[n]) == 0
		m, id := r.replicaRound(n, shared, metricsToken, imp.Key, imports, pg, first)
		if first {
			idle[n] = id
		}
		rounds[n] = append(rounds[n], m)
		r.logf("replicas=%d: %.1f s wall, CPU replicas %.1f s (kernel %.1f s), PostgreSQL %.1f s, clients %.1f s; %s rows per CPU-s of all; replicas: %.0f GCs, %.2f GB allocated, %.0f minor faults, %.0f context switches; load %s",
			n, m.wall.Seconds(), m.replicas, m.proc.sys, m.pg, m.client, count(m.rate(total)), m.gostat.gcs, m.gostat.alloc/1e9, m.proc.minflt, m.proc.ctxsw, loadAverage())
	}
	rates := func(n int) []float64 {
		out := make([]float64, len(rounds[n]))
		for i, m := range rounds[n] {
			out[i] = m.rate(total)
		}
		return out
	}
	for n := 1; n <= r.o.Replicas; n++ {
		var s round
		for _, m := range rounds[n] {
			s = s.add(m)
		}
		rows := float64(len(rounds[n])) * total
		all := s.all()
		vs := ""
		if n > 1 {
			v := compare(rates(1), rates(n))
			vs = fmt.Sprintf("; against 1 replica, half by half: %s", v)
			r.logf("replicas=%d against 1: %s", n, v)
		}
		r.add(Figure{Step: fmt.Sprintf("upload API, %d replica(s) on one PostgreSQL, %d clients", n, ReplicaClients),
			Unit: "rows", N: rows, Cost: rawlimit.Cost{Wall: s.wall, CPU: time.Duration(all * float64(time.Second))},
			Limit: fmt.Sprintf("bare HTTP sink, %d clients", ReplicaClients), Raw: raw, RawN: total,
			Note: fmt.Sprintf("%d rounds of %d imports, rows per CPU-s of all: %s%s; CPU: replicas %.1f s (%s rows per replica CPU-s, GOMAXPROCS %s; "+
				"kernel %.0f%%; per 1M rows %.1f GCs, %.2f GB allocated, %s minor faults, %s context switches; idle %.1f ms of CPU per replica-second), "+
				"PostgreSQL %.1f s (%s rows per CPU-s; idle %.1f ms per second), clients %.1f s; %.2f of %d cores busy; the machine's limit at this cost (all %d cores): %s rows/s; "+
				"the sink: %d requests, %.1f MB",
				len(rounds[n]), imports, rateSpread(rates(n)), vs, s.replicas, count(rows/s.replicas), gomaxprocs,
				100*s.proc.sys/s.replicas, s.gostat.gcs*1e6/rows, s.gostat.alloc*1e6/rows/1e9, count(s.proc.minflt*1e6/rows), count(s.proc.ctxsw*1e6/rows),
				1000*idle[n].replica, s.pg, count(rows/s.pg), 1000*idle[n].pg, s.client, all/s.wall.Seconds(), r.rep.CPUs, r.rep.CPUs, count(float64(r.rep.CPUs)*rows/all), imports*len(r.bodies), float64(sent)/1e6)})
	}
}

// ReplicaPairs is how many mirrored pairs of rounds (1 … N, N … 1) a
// replicas sitting runs: 2×ReplicaPairs rounds of each N, about 1M rows
// each, so that the spread between rounds is measured and the verdict
// drawn from it; a --rows 100000 --replicas 3 sitting takes about a
// minute and a half on 2 cores.
const ReplicaPairs = 3

// IdleWindow is how long each N's first round watches its replicas idle
// (warm, no request) before the timed window: what the job queue's pollers,
// leader election and the Go runtime cost per replica on their own.
const IdleWindow = 2 * time.Second

// idleCost is CPU seconds per second of idle: per replica, and of
// PostgreSQL.
type idleCost struct{ replica, pg float64 }

// round is one measurement of N replicas: wall time, CPU seconds, and
// where the replicas' CPU went (summed over them).
type round struct {
	wall                 time.Duration
	replicas, pg, client float64
	proc                 procStat
	gostat               goStat
}

func (m round) add(o round) round {
	return round{wall: m.wall + o.wall, replicas: m.replicas + o.replicas, pg: m.pg + o.pg, client: m.client + o.client,
		proc: m.proc.add(o.proc), gostat: m.gostat.add(o.gostat)}
}

// all is the CPU seconds of every process involved.
func (m round) all() float64 { return m.replicas + m.pg + m.client }

// rate is rows per CPU-second of all.
func (m round) rate(rows float64) float64 {
	if m.all() <= 0 {
		return 0
	}
	return rows / m.all()
}

// replicaRound starts n replicas, warms them, with idle watches them idle
// for IdleWindow, uploads imports through them and stops them.
func (r *run) replicaRound(n int, shared []string, metricsToken, key string, imports int, pg *PGMeter, idle bool) (round, idleCost) {
	reps := make([]*replica, n)
	for i := range reps {
		var err error
		if reps[i], err = startReplica(r.tb, r.o.ServeCommand, shared); err != nil {
			r.tb.Fatal(err)
		}
	}
	defer func() {
		for _, rp := range reps {
			rp.stop()
		}
	}()
	urls := make([]string, n)
	for i, rp := range reps {
		urls[i] = rp.url
	}
	// Warm each replica first: ReplicaClients one-chunk imports at once,
	// all their requests to it. A process's first imports pay its
	// one-time costs (lazy tables, the template compiled, the heap grown,
	// the PostgreSQL pool's connections opened and their statements
	// prepared), which would otherwise be counted once more for every
	// replica added: the steady state is what a deployment runs in.
	for _, u := range urls {
		if err := parallel(ReplicaClients, func(int) error {
			_, err := upload(func(int) string { return u }, key, r.header, r.bodies[:1], min(r.rows, rowsPerChunk))
			return err
		}); err != nil {
			r.tb.Fatal(err)
		}
	}
	// The replicas' counters; /metrics scraped before and after the
	// window that /proc measures, not inside it.
	procs := func() (st procStat) {
		for _, rp := range reps {
			st = st.add(readProc(rp.cmd.Process.Pid))
		}
		return st
	}
	gos := func() (st goStat) {
		for _, rp := range reps {
			g, err := readGo(rp.url, metricsToken)
			if err != nil {
				r.tb.Fatal(err)
			}
			st = st.add(g)
		}
		return st
	}
	var id idleCost
	if idle {
		ps0 := procs()
		if err := pg.Start(context.Background()); err != nil {
			r.tb.Fatal(err)
		}
		time.Sleep(IdleWindow)
		ps := procs().sub(ps0)
		pgCPU, err := pg.Since(context.Background())
		if err != nil {
			r.tb.Fatal(err)
		}
		id = idleCost{replica: (ps.user + ps.sys) / IdleWindow.Seconds() / float64(n), pg: pgCPU / IdleWindow.Seconds()}
	}
	gs0 := gos()
	ps0 := procs()
	if err := pg.Start(context.Background()); err != nil {
		r.tb.Fatal(err)
	}
	cost, err := rawlimit.Measure(func() error {
		return parallel(imports, func(i int) error {
			_, err := upload(spread(urls, i), key, r.header, r.bodies, r.rows)
			return err
		})
	})
	if err != nil {
		r.tb.Fatal(err)
	}
	ps := procs().sub(ps0)
	m := round{wall: cost.Wall, proc: ps, gostat: gos().sub(gs0), client: cost.CPU.Seconds()}
	m.replicas = m.proc.user + m.proc.sys
	if m.pg, err = pg.Since(context.Background()); err != nil {
		r.tb.Fatal(err)
	}
	return m, id
}

// parallel runs do(0 … n-1) on ReplicaClients goroutines and returns the
// first error.
func parallel(n int, do func(i int) error) error {
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range ReplicaClients {
		wg.Go(func() {
			for i := range next {
				if err := do(i); err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// spread sends request k of import i to replica (i+k) mod len(urls).
func spread(urls []string, i int) func(k int) string {
	return func(k int) string { return urls[(i+k)%len(urls)] }
}

// replica is a running `intake serve` child process.
type replica struct {
	cmd    *exec.Cmd
	url    string
	logs   *servertest.SyncBuffer
	exited chan error
}

// startReplica runs serve on a loopback port and a data folder of its
// own, with the shared database, blobs and key, and waits until it listens.
func startReplica(tb testing.TB, serve func(args ...string) *exec.Cmd, shared []string) (*replica, error) {
	rp, err := launch(tb, serve("--addr", "127.0.0.1:0", "--data-dir", tb.TempDir(), "--skip-migrations"), shared...)
	if err != nil {
		return nil, fmt.Errorf("a replica: %w", err)
	}
	return rp, nil
}

// launch starts cmd, an `intake serve`, with env added to its environment
// (the command's own if it has one, else this process's), stops it at the
// test's end, and waits until it listens.
func launch(tb testing.TB, cmd *exec.Cmd, env ...string) (*replica, error) {
	rp := &replica{cmd: cmd, logs: &servertest.SyncBuffer{}, exited: make(chan error, 1)}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, env...)
	tb.Cleanup(rp.stop)
	url, err := servertest.StartServe(rp.cmd, rp.logs, rp.exited)
	if err != nil {
		return nil, err
	}
	rp.url = url
	return rp, nil
}

// stop sends SIGTERM and waits for the exit (a kill after 30 s).
func (rp *replica) stop() {
	if rp.cmd.Process == nil || rp.cmd.ProcessState != nil {
		return
	}
	_ = rp.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-rp.exited:
		rp.exited <- err
	case <-time.After(30 * time.Second):
		_ = rp.cmd.Process.Kill()
	}
}

// freshSchema creates a schema of its own on the database at base and
// returns base with that search_path; the schema is dropped when tb ends.
func freshSchema(tb testing.TB, base string) (string, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	schema := "intake_bench_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", fmt.Errorf("create schema: %w", err)
	}
	tb.Cleanup(func() {
		if c, err := pgx.Connect(context.Background(), base); err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, nil
}

// ProcessCPU is a process's user+system CPU seconds from /proc (Linux; 0
// elsewhere).
func ProcessCPU(pid int) float64 {
	st := readProc(pid)
	return st.user + st.sys
}
