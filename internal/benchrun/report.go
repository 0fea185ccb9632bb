package benchrun

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// Markers bound the section of docs/benchmarks.md that `intake-bench
// --markdown --doc` rewrites (named when it was `intake bench`; kept so
// that the file needs no edit by hand).
const (
	BeginMarker = "<!-- intake bench: begin -->"
	EndMarker   = "<!-- intake bench: end -->"
)

func (rep *Report) conditions() string {
	load := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	return fmt.Sprintf("%d rows of %s (%d bytes, sha256 %s…); %s, %d CPUs, GOMAXPROCS %d; load average %s before, %s after; %s UTC, %.0f s",
		rep.Rows, strings.ToUpper(rep.Format), rep.FileBytes, short(rep.FileSHA256), rep.GoVersion, rep.CPUs, rep.GoMaxProcs,
		load(rep.LoadBefore), load(rep.LoadAfter), rep.Started.Format("2006-01-02 15:04"), rep.Elapsed.Seconds())
}

func short(sum string) string { return sum[:min(16, len(sum))] }

// WriteText prints the figures as an aligned table.
func (rep *Report) WriteText(w io.Writer) error {
	fmt.Fprintln(w, rep.conditions())
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "step\tper CPU-s\tper s (wall)\traw limit\traw per CPU-s\tratio\tnote")
	for _, f := range rep.Figures {
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%.3f\t%s\n", f.Step, count(f.PerCPU()), f.Unit, count(f.Cost.PerWall(f.N)),
			f.Limit, count(f.RawPerCPU()), f.Ratio(), f.Note)
	}
	for _, n := range rep.NotMeasured {
		fmt.Fprintf(tw, "not measured: %s\n", n)
	}
	return tw.Flush()
}

// WriteMarkdown writes the section of docs/benchmarks.md, markers included.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintln(&b, BeginMarker)
	replicas := ""
	if rep.Replicas > 0 {
		replicas = fmt.Sprintf(" --replicas %d --database-url postgres://…", rep.Replicas)
	}
	fmt.Fprintf(&b, "_Written by `intake-bench --rows %d --format %s%s --markdown --doc docs/benchmarks.md`; do not edit by hand._\n\n",
		rep.Rows, rep.Format, replicas)
	fmt.Fprintf(&b, "%s.\n\n", rep.conditions())
	fmt.Fprintln(&b, "| step | per CPU-second | per second (wall) | raw limit, same run | raw per CPU-second | ratio | |")
	fmt.Fprintln(&b, "| --- | --- | --- | --- | --- | --- | --- |")
	for _, f := range rep.Figures {
		fmt.Fprintf(&b, "| %s | %s %s | %s | %s | %s | **%.3f** | %s |\n", f.Step, count(f.PerCPU()), f.Unit, count(f.Cost.PerWall(f.N)),
			f.Limit, count(f.RawPerCPU()), f.Ratio(), f.Note)
	}
	for _, n := range rep.NotMeasured {
		fmt.Fprintf(&b, "\nNot measured by `intake-bench`: %s.\n", n)
	}
	fmt.Fprintln(&b, EndMarker)
	_, err := io.WriteString(w, b.String())
	return err
}

// UpdateDoc replaces the marked section of the Markdown file at path with
// the report's.
func (rep *Report) UpdateDoc(path string) error {
	doc, err := os.ReadFile(path) //nolint:gosec // a file the operator names
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	begin, end := strings.Index(string(doc), BeginMarker), strings.Index(string(doc), EndMarker)
	if begin < 0 || end < begin {
		return errors.New(path + " has no " + BeginMarker + " … " + EndMarker + " section")
	}
	var b strings.Builder
	b.WriteString(string(doc[:begin]))
	if err := rep.WriteMarkdown(&b); err != nil {
		return err
	}
	b.WriteString(strings.TrimPrefix(string(doc[end+len(EndMarker):]), "\n"))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil { //nolint:gosec // documentation
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// count spells a rate with thousands as k and millions as M.
func count(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
