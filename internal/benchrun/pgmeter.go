package benchrun

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// PGMeter measures the CPU of the PostgreSQL processes that serve the
// processes given its Tag'd database URL, on a PostgreSQL of this machine:
// the client backends whose application_name is the meter's, and
// PostgreSQL's own processes (WAL writer, checkpointer, background writer,
// autovacuum), which other sessions' writes drive too. Other sessions'
// backends are left out (a machine's every `postgres` process would count
// other tests' work). Between Start and Since the processes are sampled
// every PGSample, so that a backend that exits in the window (its replica
// stopped or killed, its connection closed) still counts, up to its last
// sample: /proc forgets a process's CPU when it exits.
type PGMeter struct {
	app  string
	mu   sync.Mutex // conn and the readings
	conn *pgx.Conn
	// pid → CPU seconds when first seen (0 if born after Start), and at
	// the last sample.
	first, last   map[int]float64
	stop, stopped chan struct{}
}

// PGSample is how often a PGMeter samples PostgreSQL's processes.
const PGSample = 100 * time.Millisecond

// NewPGMeter connects to the PostgreSQL at url to list its processes.
func NewPGMeter(ctx context.Context, url string) (*PGMeter, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return &PGMeter{conn: conn, app: "intake-bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)}, nil
}

// Tag returns the database URL url with the meter's application_name:
// the backends of the processes that connect with it are counted.
func (m *PGMeter) Tag(url string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "application_name=" + m.app
}

// sample reads the CPU of the processes there now; at Start (born false)
// a process is counted from its CPU then, later from 0. Called with mu.
func (m *PGMeter) sample(ctx context.Context, born bool) error {
	rows, err := m.conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1 OR backend_type <> 'client backend'`, m.app)
	if err != nil {
		return fmt.Errorf("list PostgreSQL's processes: %w", err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("list PostgreSQL's processes: %w", err)
	}
	for _, p := range pids {
		cpu := ProcessCPU(p) // 0 once it has exited
		if _, ok := m.first[p]; !ok {
			m.first[p] = 0
			if !born {
				m.first[p] = cpu
			}
		}
		m.last[p] = max(m.last[p], cpu)
	}
	return nil
}

// Start notes the CPU of the processes there now and samples them until
// Since.
func (m *PGMeter) Start(ctx context.Context) error {
	m.halt()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.first, m.last = map[int]float64{}, map[int]float64{}
	if err := m.sample(ctx, false); err != nil {
		return err
	}
	// Not cancelled with ctx or by halt: pgx closes a connection whose
	// query's context ends mid-query.
	sctx := context.WithoutCancel(ctx)
	stop, stopped := make(chan struct{}), make(chan struct{})
	m.stop, m.stopped = stop, stopped
	go func() {
		defer close(stopped)
		t := time.NewTicker(PGSample)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				m.mu.Lock()
				_ = m.sample(sctx, true) // a missed sample only loses what a backend spent since the last one
				m.mu.Unlock()
			}
		}
	}()
	return nil
}

// halt stops the sampling, if any, once its sample in flight is done.
func (m *PGMeter) halt() {
	if m.stop != nil {
		close(m.stop)
		<-m.stopped
		m.stop = nil
	}
}

// Since returns the CPU seconds spent since Start by the processes there
// at Start and those that came after (0: PostgreSQL is not on this
// machine), and stops the sampling.
func (m *PGMeter) Since(ctx context.Context) (float64, error) {
	m.halt()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.sample(ctx, true); err != nil {
		return 0, err
	}
	total := 0.0
	for p, cpu := range m.last {
		total += cpu - m.first[p]
	}
	return max(0, total), nil
}

// Close stops the sampling and closes the meter's connection.
func (m *PGMeter) Close() {
	m.halt()
	m.conn.Close(context.Background())
}
