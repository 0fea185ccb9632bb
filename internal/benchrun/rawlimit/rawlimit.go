// Package rawlimit measures the ceilings Intake's benchmarks print beside
// their figures, each in the same run on the same bytes, so that the ratio
// carries to another machine where an absolute figure does not: inflating
// the upload bodies alone, posting to a bare HTTP sink, AES-GCM alone,
// encoding/csv or excelize alone, and a bare SQLite delete. It depends on
// no Intake package, so the benchmarks of any package can share it.
package rawlimit

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	kgzip "github.com/klauspost/compress/gzip"

	"github.com/intakehq/intake/internal/cputime"
)

// CPU is the process's CPU time so far (all threads), 0 where the system
// cannot tell (per-CPU-second figures then read 0).
func CPU() time.Duration {
	d, _ := cputime.Process()
	return d
}

// Cost is what one measured step spent: wall and process CPU time.
type Cost struct {
	Wall, CPU time.Duration
}

// Measure runs fn and returns its cost.
func Measure(fn func() error) (Cost, error) {
	w0, c0 := time.Now(), CPU()
	err := fn()
	return Cost{Wall: time.Since(w0), CPU: CPU() - c0}, err
}

// PerCPU is n per CPU-second of c (0 when the CPU time is unknown).
func (c Cost) PerCPU(n float64) float64 {
	if c.CPU <= 0 {
		return 0
	}
	return n / c.CPU.Seconds()
}

// PerWall is n per second of wall time.
func (c Cost) PerWall(n float64) float64 {
	if c.Wall <= 0 {
		return 0
	}
	return n / c.Wall.Seconds()
}

// Best runs fn passes times and returns the cheapest run by CPU time (the
// one least disturbed by the rest of the machine).
func Best(passes int, fn func() error) (Cost, error) {
	var best Cost
	for i := range passes {
		c, err := Measure(fn)
		if err != nil {
			return Cost{}, err
		}
		if i == 0 || c.CPU < best.CPU {
			best = c
		}
	}
	return best, nil
}

// CSVRecords reads a CSV with a header row: its header, and a function
// returning each record in turn, then io.EOF.
func CSVRecords(r io.Reader) (header []string, next func() ([]string, error), err error) {
	cr := csv.NewReader(r)
	header, err = cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read the CSV header: %w", err)
	}
	return header, cr.Read, nil
}

// GzipChunks cuts the records next returns into the upload API's chunk
// bodies, exactly as the widget sends them: {"first_row","rows"} JSON of
// perChunk rows, gzip'd.
func GzipChunks(next func() ([]string, error), perChunk int) (bodies [][]byte, rows int, err error) {
	batch := make([][]string, 0, perChunk)
	flush := func() error {
		raw, err := json.Marshal(map[string]any{"first_row": rows - len(batch), "rows": batch})
		if err != nil {
			return fmt.Errorf("encode a chunk: %w", err)
		}
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		if _, err := w.Write(raw); err != nil {
			return fmt.Errorf("gzip a chunk: %w", err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("gzip a chunk: %w", err)
		}
		bodies = append(bodies, buf.Bytes())
		batch = batch[:0]
		return nil
	}
	for {
		rec, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read record %d: %w", rows+1, err)
		}
		batch = append(batch, rec)
		rows++
		if len(batch) == perChunk {
			if err := flush(); err != nil {
				return nil, 0, err
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return nil, 0, err
		}
	}
	return bodies, rows, nil
}

// Inflate is a ceiling no ingest can pass: only inflating the request
// bodies with the gzip library ingest uses, nothing decoded, validated or
// stored; best of three passes.
func Inflate(bodies [][]byte) (Cost, error) {
	return Best(3, func() error {
		for _, body := range bodies {
			zr, err := kgzip.NewReader(bytes.NewReader(body))
			if err != nil {
				return fmt.Errorf("inflate: %w", err)
			}
			if _, err := io.Copy(io.Discard, zr); err != nil {
				return fmt.Errorf("inflate: %w", err)
			}
		}
		return nil
	})
}

// Sink is a bare HTTP receiver on 127.0.0.1 that reads and drops every
// request body.
type Sink struct {
	URL string
	srv *http.Server
}

// NewSink starts a sink; Close stops it.
func NewSink() (*Sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the sink: %w", err)
	}
	s := &Sink{URL: "http://" + ln.Addr().String() + "/sink", srv: &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
		}),
	}}
	go s.srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed at Close
	return s, nil
}

// Close stops the sink.
func (s *Sink) Close() error { return s.srv.Close() }

// PostClient is the bare client of the sink's ceiling: net/http, a few idle
// connections, nothing else.
var PostClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}, Timeout: time.Minute}

// Post sends body to url with the bare client and drains the answer.
func Post(url string, body []byte) error {
	resp, err := PostClient.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post to the sink: %w", err)
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// PostAll posts every body in turn to url: the transport's ceiling for
// sending those bytes in those requests.
func PostAll(url string, bodies [][]byte) (Cost, error) {
	return Measure(func() error {
		for _, b := range bodies {
			if err := Post(url, b); err != nil {
				return err
			}
		}
		return nil
	})
}
