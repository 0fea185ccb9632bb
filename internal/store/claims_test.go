package store

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestClaimsMergedAtCompletion: the claims of chunks stored in any order,
// in 32 buckets, one chunk's runs in the layout before the compact one,
// are merged at completion into exactly the duplicates
// a map finds (the lowest row keeps a value, per column), which the hook
// records in the chunks (their overlays) and the import's counts, a row
// with errors already counted once; a key in another column
// is no duplicate, and a completion with duplicates and no hook fails.
func TestClaimsMergedAtCompletion(t *testing.T) {
	t.Parallel()
	const chunks, perChunk = 4, 3000
	rng := rand.New(rand.NewPCG(7, 14))
	byChunk := make([][]Claim, chunks)
	var all []Claim
	for n := range chunks {
		for i := range perChunk {
			c := Claim{Key: rng.Uint64(), Col: i % 2, Row: int64(n*perChunk + i), HadErrors: i%5 == 0}
			switch {
			case i%97 == 0 && len(all) > 0: // a key of an earlier row, same column
				o := all[rng.IntN(len(all))]
				c.Key, c.Col = o.Key, o.Col
			case i%89 == 0 && len(all) > 0: // a key of an earlier row in the other column
				o := all[rng.IntN(len(all))]
				c.Key, c.Col = o.Key, 1-o.Col
			}
			byChunk[n] = append(byChunk[n], c)
			all = append(all, c)
		}
	}
	// The oracle: rows in order, the first holding a (column, key) keeps it.
	want := map[int][]Duplicate{}
	seen := map[[2]uint64]bool{}
	for _, c := range all {
		k := [2]uint64{uint64(c.Col), c.Key}
		if seen[k] {
			n := int(c.Row) / perChunk
			want[n] = append(want[n], Duplicate{Row: c.Row, Col: c.Col, HadErrors: c.HadErrors})
		}
		seen[k] = true
	}
	if len(want) == 0 {
		t.Fatal("no duplicates planted")
	}
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			im := uploadingImport(t, s, "claims", []string{"a", "b"}, 32*bucketRows)
			for _, n := range []int{2, 0, 3, 1} {
				w, err := s.BeginChunk(ctx, im.ID)
				if err != nil {
					t.Fatal(err)
				}
				ch := Chunk{N: n, FirstRow: int64(n * perChunk), Rows: perChunk, BodyHash: []byte{byte(n)}, BlobKey: "k",
					SealedBytes: 10, Claims: slices.Clone(byChunk[n])}
				if n == 1 {
					// As stored before the compact layout: its runs in
					// the first one, rows numbered in the import.
					ch.Claims = nil
					for b, run := range encodeRuns(byChunk[n], ch.FirstRow, bucketBits(im.ExpectedRows), false) {
						if _, err := w.tx.ExecContext(ctx, `INSERT INTO claim_runs (import_id, n, bucket, claims) VALUES ($1, $2, $3, $4)`,
							im.ID, n, b, run); run != nil && err != nil {
							t.Fatal(err)
						}
					}
				}
				err = w.Put(ch)
				if err == nil {
					err = w.Commit()
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.CompleteImport(ctx, im.ID, chunks, chunks*perChunk, 0, 30, nil); err == nil {
				t.Fatal("duplicates completed without a hook to record them")
			}
			got := map[int][]Duplicate{}
			hook := func(_ context.Context, _ Import, found []ChunkDuplicates) ([][]byte, error) {
				var out [][]byte
				for _, f := range found {
					got[f.Chunk.N] = f.Rows
					out = append(out, []byte{byte(f.Chunk.N)})
				}
				return out, nil
			}
			c, err := s.CompleteImport(ctx, im.ID, chunks, chunks*perChunk, 0, 30, hook)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for n := range chunks {
				if !slices.Equal(got[n], want[n]) {
					t.Errorf("chunk %d: %d duplicates, want %d: %v", n, len(got[n]), len(want[n]), firstDiff(got[n], want[n]))
				}
				total += newErrorRows(want[n])
			}
			stored, err := s.Chunks(ctx, im.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range stored {
				cols := 0
				for _, v := range ch.ErrorColumns {
					cols += v
				}
				wantOverlay := []byte{byte(ch.N)}
				if len(want[ch.N]) == 0 {
					wantOverlay = nil
				}
				if ch.RowsWithErrors != newErrorRows(want[ch.N]) || cols != len(want[ch.N]) || !slices.Equal(ch.Duplicates, wantOverlay) {
					t.Errorf("chunk %d recorded as %d rows with errors, %d errors, overlay %v", ch.N, ch.RowsWithErrors, cols, ch.Duplicates)
				}
			}
			if c.RowsWithErrors != int64(total) {
				t.Errorf("completion counts %d rows with errors, want %d", c.RowsWithErrors, total)
			}
		})
	}
}

// newErrorRows counts the rows of ds that had no errors before.
func newErrorRows(ds []Duplicate) int {
	rows := map[int64]bool{}
	for _, d := range ds {
		if !d.HadErrors {
			rows[d.Row] = true
		}
	}
	return len(rows)
}

func firstDiff(got, want []Duplicate) any {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return [2]Duplicate{got[i], want[i]}
		}
	}
	return cmp.Compare(len(got), len(want))
}

// TestGroupEntries: the merge's grouping puts the entries of each key
// together, in the order slices.SortFunc with compareEntries gives them:
// keys repeated in several columns and rows, a row's had-errors bit
// ignored, keys sharing their top bits (one bucket) or their low 16 bits
// (one group of the radix pass).
func TestGroupEntries(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 9))
	for _, n := range []int{0, 1, 2, 100, 5000, 200_000} {
		var es []owned
		for i := range n {
			key := rng.Uint64()>>5 | 7<<59
			switch {
			case i > 0 && rng.IntN(4) == 0:
				key = es[rng.IntN(len(es))].key
			case i > 0 && rng.IntN(8) == 0: // another key with the same low 16 bits
				key = es[rng.IntN(len(es))].key ^ rng.Uint64()<<16
			}
			colRow := uint64(rng.IntN(3))<<rowBits | uint64(rng.IntN(1<<20))
			if rng.IntN(2) == 0 {
				colRow |= hadErrors
			}
			es = append(es, owned{entry{key, colRow}, rng.IntN(10)})
		}
		want := slices.Clone(es)
		slices.SortStableFunc(want, func(a, b owned) int { return compareEntries(a.entry, b.entry) })
		got, _ := groupEntries(slices.Clone(es), nil)
		if len(got) != len(want) {
			t.Fatalf("%d entries: %d grouped", n, len(got))
		}
		// The entries of each key, in order, are those of the full sort.
		byKey := map[uint64][]entry{}
		for i, e := range got {
			if i > 0 && e.key != got[i-1].key && len(byKey[e.key]) > 0 {
				t.Fatalf("%d entries: key %x apart at %d", n, e.key, i)
			}
			byKey[e.key] = append(byKey[e.key], e.entry)
		}
		for i := 0; i < len(want); {
			j := i
			var run []entry
			for ; j < len(want) && want[j].key == want[i].key; j++ {
				run = append(run, want[j].entry)
			}
			if !slices.EqualFunc(run, byKey[want[i].key], func(a, b entry) bool { return compareEntries(a, b) == 0 }) {
				t.Fatalf("%d entries: key %x grouped as %v, sorted %v", n, want[i].key, byKey[want[i].key], run)
			}
			i = j
		}
	}
}

// TestClaimRuns: a chunk's claims split into runs by bucket read back as
// they were, in the compact layout and in the first (the one of chunks
// stored before, and of a chunk whose columns or row offsets do not fit
// the compact one); a compact run is never a multiple of claimSize long,
// and a run in neither layout is refused.
func TestClaimRuns(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 11))
	const firstRow = 1 << 40
	for _, tc := range []struct {
		name    string
		compact bool
		col     int
		rows    int64
	}{
		{"compact", true, 1<<compactColBits - 1, 1<<compactRowBits - 1},
		{"first layout", false, MaxClaimColumn, 1 << 47},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var claims []Claim
			for i := range 3000 {
				c := Claim{Key: rng.Uint64(), Col: rng.IntN(tc.col + 1), Row: firstRow + rng.Int64N(tc.rows), HadErrors: i%3 == 0}
				if i%7 == 0 {
					c.Key = 0 // a run of bucket 0 grows longer
				}
				claims = append(claims, c)
			}
			const bits = 5
			var got []owned
			for b, run := range encodeRuns(claims, firstRow, bits, tc.compact) {
				if run == nil {
					continue
				}
				if tc.compact && len(run)%claimSize == 0 {
					t.Fatalf("compact run of bucket %d: %d bytes, a multiple of %d", b, len(run), claimSize)
				}
				before := len(got)
				var err error
				if got, err = appendRun(got, 3, firstRow, run); err != nil {
					t.Fatal(err)
				}
				for _, e := range got[before:] {
					if bucket(e.key, bits) != b || e.n != 3 {
						t.Fatalf("entry %v in the run of bucket %d", e, b)
					}
				}
			}
			want := make([]owned, len(claims))
			for i, c := range claims {
				colRow := uint64(c.Col)<<rowBits | uint64(c.Row)
				if c.HadErrors {
					colRow |= hadErrors
				}
				want[i] = owned{entry{c.Key, colRow}, 3}
			}
			byEntry := func(a, b owned) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.colRow, b.colRow)) }
			slices.SortFunc(got, byEntry)
			slices.SortFunc(want, byEntry)
			if !slices.Equal(got, want) {
				t.Fatalf("%d entries read back, %d written: %v", len(got), len(want), firstDiffEntries(got, want))
			}
		})
	}
	for _, raw := range [][]byte{make([]byte, 15), append([]byte{compactFormat}, make([]byte, 11)...), append([]byte{1}, make([]byte, 12)...)} {
		if _, err := appendRun(nil, 0, 0, raw); err == nil {
			t.Errorf("a run of %d bytes starting %d was read", len(raw), raw[0])
		}
	}
}

func firstDiffEntries(got, want []owned) any {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return [2]owned{got[i], want[i]}
		}
	}
	return cmp.Compare(len(got), len(want))
}

// TestClaimRunsMigrated: the claim runs of an import in flight when
// migration 17 runs (stored by the code before it, keyed by bucket first)
// are kept and merged with those of the chunks stored after it, on SQLite
// and PostgreSQL: a value of a row before the migration, held again after
// it, is a duplicate, and so is one held after, in a chunk of lower rows.
func TestClaimRunsMigrated(t *testing.T) {
	t.Parallel()
	for name, s := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			p, err := s.migrations(false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.DownTo(ctx, 16); err != nil {
				t.Fatal(err)
			}
			im := uploadingImport(t, s, "mig", []string{"a"}, 4*bucketRows)
			const perChunk = 100
			claims := func(n int) []Claim {
				var out []Claim
				for i := range perChunk {
					out = append(out, Claim{Key: uint64(n*perChunk+i) * 0x9E3779B97F4A7C15, Row: int64(n*perChunk + i)})
				}
				return out
			}
			before, after := claims(2), claims(0)
			before[5].Key = after[7].Key   // row 205 holds row 7's value
			after[40].Key = before[60].Key // row 40 holds a value row 260 holds: row 260 is the duplicate
			put := func(n int, cl []Claim, legacy bool) {
				t.Helper()
				w, err := s.BeginChunk(ctx, im.ID)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Rollback()
				ch := Chunk{N: n, FirstRow: int64(n * perChunk), Rows: perChunk, BodyHash: []byte{byte(n)}, BlobKey: "k", Claims: cl}
				if legacy { // as the code before migration 17 stored them
					ch.Claims = nil
					for b, run := range encodeRuns(cl, ch.FirstRow, bucketBits(im.ExpectedRows), false) {
						if _, err := w.tx.ExecContext(ctx, `INSERT INTO claim_runs (import_id, bucket, n, claims) VALUES ($1, $2, $3, $4)`,
							im.ID, b, n, run); run != nil && err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := w.Put(ch); err != nil {
					t.Fatal(err)
				}
				if err := w.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			put(2, before, true)
			put(1, claims(1), true)
			if _, err := p.Up(ctx); err != nil {
				t.Fatal(err)
			}
			put(0, after, false)
			var got []Duplicate
			hook := func(_ context.Context, _ Import, found []ChunkDuplicates) ([][]byte, error) {
				for _, f := range found {
					got = append(got, f.Rows...)
				}
				return make([][]byte, len(found)), nil
			}
			if _, err := s.CompleteImport(ctx, im.ID, 3, 3*perChunk, 0, 30, hook); err != nil {
				t.Fatal(err)
			}
			if want := []Duplicate{{Row: 205}, {Row: 260}}; !slices.Equal(got, want) {
				t.Fatalf("duplicates %v, want %v", got, want)
			}
		})
	}
}
