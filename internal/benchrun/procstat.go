package benchrun

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procStat is what Linux's /proc tells of a process's cost: CPU seconds
// in user and in kernel mode, minor page faults (a page of memory touched
// for the first time since the process got it or gave it back), and
// context switches. Zero elsewhere.
type procStat struct {
	user, sys, minflt, ctxsw float64
}

// clockTicks is /proc/<pid>/stat's unit of CPU time (USER_HZ, 100 on
// every Linux architecture Go runs on).
const clockTicks = 100

func readProc(pid int) procStat {
	var st procStat
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st
	}
	// The fields after the command name, which may hold spaces: state is
	// f[0], minflt f[7], utime f[11], stime f[12].
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return st
	}
	num := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	st.minflt, st.user, st.sys = num(f[7]), num(f[11])/clockTicks, num(f[12])/clockTicks
	// Context switches are counted per thread.
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, task := range tasks {
		status, err := os.ReadFile(task) //nolint:gosec // a path of /proc
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(status)) {
			if name, value, ok := strings.Cut(line, ":"); ok && (name == "voluntary_ctxt_switches" || name == "nonvoluntary_ctxt_switches") {
				st.ctxsw += num(strings.TrimSpace(value))
			}
		}
	}
	return st
}

func (a procStat) add(b procStat) procStat {
	return procStat{a.user + b.user, a.sys + b.sys, a.minflt + b.minflt, a.ctxsw + b.ctxsw}
}

func (a procStat) sub(b procStat) procStat {
	return procStat{a.user - b.user, a.sys - b.sys, a.minflt - b.minflt, a.ctxsw - b.ctxsw}
}

// goStat is a replica's Go runtime counters from its /metrics: garbage
// collections and bytes allocated, so far.
type goStat struct {
	gcs, alloc float64
}

// readGo scrapes the replica's /metrics (token: --metrics-token).
func readGo(base, token string) (goStat, error) {
	var st goStat
	req, err := http.NewRequest("GET", base+"/metrics", nil)
	if err != nil {
		return st, fmt.Errorf("metrics: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return st, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("metrics: status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, _ := strings.Cut(sc.Text(), " ")
		v, _ := strconv.ParseFloat(value, 64)
		switch name {
		case "go_gc_duration_seconds_count":
			st.gcs = v
		case "go_memstats_alloc_bytes_total":
			st.alloc = v
		}
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("metrics: %w", err)
	}
	return st, nil
}

func (a goStat) add(b goStat) goStat { return goStat{a.gcs + b.gcs, a.alloc + b.alloc} }
func (a goStat) sub(b goStat) goStat { return goStat{a.gcs - b.gcs, a.alloc - b.alloc} }
