package rawlimit

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/xuri/excelize/v2"
	_ "modernc.org/sqlite" // the SQLite driver Intake's store uses
)

// AESGCM seals then opens, with AES-256-GCM alone, pieces of the given
// sizes (a download's sealed chunks), and returns the cost of the opens:
// the ceiling of decrypting what a download reads; best of three passes.
func AESGCM(sizes []int) (Cost, error) {
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return Cost{}, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Cost{}, fmt.Errorf("gcm: %w", err)
	}
	// Sealed as the vault does: nonce‖ciphertext‖tag, a random nonce each.
	sealed := make([][]byte, len(sizes))
	ns := aead.NonceSize()
	for i, n := range sizes {
		nonce := make([]byte, ns, max(ns, n))
		rand.Read(nonce)
		plain := make([]byte, max(0, n-ns-aead.Overhead()))
		sealed[i] = aead.Seal(nonce, nonce, plain, nil)
	}
	var out []byte
	return Best(3, func() error {
		for _, s := range sealed {
			var err error
			if out, err = aead.Open(out[:0], s[:ns], s[ns:], nil); err != nil {
				return fmt.Errorf("gcm open: %w", err)
			}
		}
		return nil
	})
}

// ReadAlone reads every record of the file at path with the bare library of
// its format, encoding/csv for CSV and excelize's streaming row reader for
// XLSX (its first sheet), and returns the records read.
func ReadAlone(path string) (rows int, _ Cost, _ error) {
	cost, err := Measure(func() error {
		var err error
		if strings.HasSuffix(path, ".xlsx") {
			rows, err = excelizeRows(path)
		} else {
			rows, err = csvRows(path)
		}
		return err
	})
	return rows, cost, err
}

func csvRows(path string) (int, error) {
	f, err := os.Open(path) //nolint:gosec // the benchmark's own data file
	if err != nil {
		return 0, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	n := -1 // the header
	for {
		if _, err := r.Read(); errors.Is(err, io.EOF) {
			return n, nil
		} else if err != nil {
			return 0, fmt.Errorf("encoding/csv: %w", err)
		}
		n++
	}
}

func excelizeRows(path string) (int, error) {
	x, err := excelize.OpenFile(path)
	if err != nil {
		return 0, fmt.Errorf("excelize: %w", err)
	}
	defer x.Close()
	rows, err := x.Rows(x.GetSheetName(0))
	if err != nil {
		return 0, fmt.Errorf("excelize: %w", err)
	}
	defer rows.Close()
	n := -1 // the header
	for rows.Next() {
		if _, err := rows.Columns(); err != nil {
			return 0, fmt.Errorf("excelize: %w", err)
		}
		n++
	}
	return n, rows.Error()
}

// SQLiteDelete is the ceiling of a purge's database work: on a copy of the
// SQLite database at dbPath (VACUUM INTO), with foreign keys off, it
// deletes the given imports' chunk and claim-run rows and the import rows
// themselves, as bare SQL in one transaction per batch of 100 imports, the
// purge's batch, with secure_delete on as the store has it (freed pages
// overwritten). No key is shredded, no receipt chained, no blob deleted.
func SQLiteDelete(ctx context.Context, dbPath, scratch string, imports []string) (Cost, error) {
	src, err := sql.Open("sqlite", dbPath)
	if err != nil {
		return Cost{}, fmt.Errorf("open the database: %w", err)
	}
	copyPath := scratch + "/raw-delete.db"
	_, err = src.ExecContext(ctx, `VACUUM INTO ?`, copyPath)
	src.Close()
	if err != nil {
		return Cost{}, fmt.Errorf("copy the database: %w", err)
	}
	defer os.Remove(copyPath)
	db, err := sql.Open("sqlite", copyPath+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=secure_delete(ON)&_pragma=foreign_keys(0)")
	if err != nil {
		return Cost{}, fmt.Errorf("open the copy: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	return Measure(func() error {
		for start := 0; start < len(imports); start += 100 {
			batch := imports[start:min(len(imports), start+100)]
			in := "(?" + strings.Repeat(",?", len(batch)-1) + ")"
			args := make([]any, len(batch))
			for i, id := range batch {
				args[i] = id
			}
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			for _, q := range []string{`DELETE FROM chunks WHERE import_id IN `, `DELETE FROM claim_runs WHERE import_id IN `, `DELETE FROM imports WHERE id IN `} {
				if _, err := tx.ExecContext(ctx, q+in, args...); err != nil {
					tx.Rollback()
					return fmt.Errorf("bare delete: %w", err)
				}
			}
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("commit: %w", err)
			}
		}
		return nil
	})
}
