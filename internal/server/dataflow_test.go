package server_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Data flows one way through Intake:
//
//	upload (api, widget, fileimport) → ingest → rows (at rest) → delivery → retention
//
//	fileimport   files sent by programs or dropped in watched prefixes,
//	             parsed on the server and sent in as chunks through
//	             ingest's upload path; a failed one is purged through a
//	             hook that server sets.
//	ingest       upload sessions, chunks, re-validation, sealing; it writes
//	             with rows.Encode and imports no later stage: completed
//	             imports and bypass chunks reach delivery through hooks
//	             that server sets.
//	rows         the at-rest row format and every decrypted read (pages,
//	             downloads, delivery batches, the file writers): ingest
//	             writes through it and delivery reads through it, so it
//	             imports neither, nor retention.
//	delivery     the queue's delivery jobs; reads rows. delivery/webhook,
//	             delivery/s3 and delivery/postgres (one per destination
//	             kind) share delivery/destination and delivery/outbound and
//	             import neither the worker (delivery) nor each other.
//	retention    purges on the queue; reads no rows, imports no stage.
//
// Below every stage are the foundations (store, vault, queue, importlog,
// template, validate, mapping, config, auth, …), which import no stage;
// above them the edges (cmd/intake, cli, server, api, dashboard, widget,
// and benchrun, which assembles a whole server to time it, with its
// command cmd/intake-bench), which take
// requests and assemble the rest, and which no stage imports.
var (
	edges  = []string{"cmd/intake", "cmd/intake-bench", "internal/cli", "internal/server", "internal/api", "internal/dashboard", "internal/widget", "internal/benchrun"}
	stages = []string{"internal/fileimport", "internal/ingest", "internal/rows", "internal/delivery", "internal/retention"}
	// mayImport lists the stages a stage may import besides itself.
	mayImport = map[string][]string{
		"internal/fileimport": {"internal/ingest"},
		"internal/ingest":     {"internal/rows"},
		"internal/delivery":   {"internal/rows"},
		"internal/retention":  {},
		"internal/rows":       {},
	}
	// Inside delivery: what each destination kind and the shared
	// packages may import of delivery.
	deliveryInside = map[string][]string{
		"internal/delivery/destination": {},
		"internal/delivery/outbound":    {},
		"internal/delivery/webhook":     {"internal/delivery/destination", "internal/delivery/outbound"},
		"internal/delivery/s3":          {"internal/delivery/destination", "internal/delivery/outbound"},
		"internal/delivery/postgres":    {"internal/delivery/destination", "internal/delivery/outbound"},
	}
)

const module = "github.com/intakehq/intake/"

// under reports whether pkg is root or inside it.
func under(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }

// layer names the edge or stage pkg belongs to, or "" for a foundation.
func layer(pkg string) string {
	for _, l := range append(slices.Clone(edges), stages...) {
		if under(pkg, l) {
			return l
		}
	}
	return ""
}

// TestDataFlowsOneWay reads the package graph with go list and fails on
// an import that runs back up the data flow (see the order above). A new
// package is a foundation until it is listed here: if it imports a stage,
// this test says so.
func TestDataFlowsOneWay(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-deps", "-json", "../../...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	type pkg struct {
		ImportPath string
		Imports    []string
		Module     *struct{ Main bool }
	}
	deps := map[string][]string{} // module package -> the module packages it imports
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		name := strings.TrimPrefix(p.ImportPath, module)
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) {
				deps[name] = append(deps[name], strings.TrimPrefix(imp, module))
			}
		}
		if _, ok := deps[name]; !ok {
			deps[name] = nil
		}
	}
	for _, want := range append(slices.Clone(stages), "internal/store", "internal/vault", "internal/queue", "internal/delivery/webhook") {
		if _, ok := deps[want]; !ok {
			t.Fatalf("go list did not list %s: the test reads the wrong tree", want)
		}
	}

	for from, imports := range deps {
		fromLayer := layer(from)
		for _, to := range imports {
			toLayer := layer(to)
			var why string
			switch {
			case fromLayer == "" && toLayer != "":
				why = "a foundation imports " + toLayer
			case slices.Contains(edges, fromLayer):
				// The edges assemble the rest.
			case slices.Contains(edges, toLayer):
				why = "a stage imports the edge " + toLayer
			case toLayer == "" || toLayer == fromLayer:
			case !slices.Contains(mayImport[fromLayer], toLayer):
				why = fromLayer + " imports " + toLayer + ", against the flow"
			}
			if allowed, ok := deliveryInside[from]; ok && under(to, "internal/delivery") && !slices.Contains(allowed, to) {
				why = "inside delivery, " + from + " imports " + to
			}
			if why != "" {
				t.Errorf("%s imports %s: %s", from, to, why)
			}
		}
	}
}
