// Package e2e holds the formats of end-to-end encrypted imports: the age
// recipients an importer encrypts to, the plaintext of one encrypted chunk,
// and the .age bundle a download gives. The server only checks recipients
// and moves ciphertext; the decrypting half (Open, Decrypt) is for the team's
// own tools (intake decrypt) and never runs inside the server, which holds
// no identity.
//
// Encryption is filippo.io/age (X25519 recipients), the reference
// implementation; the widget uses the age-encryption npm package, and the
// tests hold the two to each other and to the age command-line tool.
package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"filippo.io/age"
)

// MaxRecipients bounds an importer's recipient list: each one adds a stanza
// to every chunk.
const MaxRecipients = 16

// Header starts every binary age file (the only form chunks are sent in).
const Header = "age-encryption.org/v1\n"

// CheckRecipients validates an importer's recipients: one to MaxRecipients
// distinct age X25519 public keys. The error names a position, never a key.
func CheckRecipients(list []string) error {
	if len(list) == 0 || len(list) > MaxRecipients {
		return fmt.Errorf("an e2e importer needs 1 to %d recipients (age1… public keys)", MaxRecipients)
	}
	for i, r := range list {
		if _, err := age.ParseX25519Recipient(r); err != nil {
			return fmt.Errorf("recipients[%d] is not an age X25519 public key (age1…)", i)
		}
		if slices.Index(list, r) != i {
			return fmt.Errorf("recipients[%d] repeats a key", i)
		}
	}
	return nil
}

// Chunk is the plaintext of one encrypted chunk, JSON as the widget writes
// it, gzip'd or not (on a fast link the widget sends it as it is, as in
// stored mode): the rows of the upload's columns from FirstRow on, nil for
// an empty cell. It names its columns so that any one payload (a chunk, an
// S3 object, a webhook batch) decrypts to rows on its own.
type Chunk struct {
	FirstRow int64       `json:"first_row"`
	Columns  []string    `json:"columns"`
	Rows     [][]*string `json:"rows"`
}

// gzipMagic starts every gzip stream; a JSON text cannot start with it, so
// a chunk's plaintext says which of the two it is.
var gzipMagic = []byte{0x1f, 0x8b}

// BundleEntry is one line of a .age bundle (JSON lines): the chunk's
// position and row count, which the server knows, and its age ciphertext.
type BundleEntry struct {
	ImportID   string `json:"import_id"`
	Chunk      int    `json:"chunk"`
	FirstRow   int64  `json:"first_row"`
	Rows       int    `json:"rows"`
	Ciphertext []byte `json:"ciphertext"` // base64 in JSON
}

// Envelope is a webhook body of an e2e import's batch.
type Envelope struct {
	ImportID   string          `json:"import_id"`
	Batch      json.RawMessage `json:"batch"`
	Ciphertext []byte          `json:"ciphertext"`
}

// Open decrypts one age payload with ids and decodes the chunk inside,
// gzip'd JSON or JSON.
func Open(ciphertext []byte, ids ...age.Identity) (Chunk, error) {
	var c Chunk
	r, err := age.Decrypt(bytes.NewReader(ciphertext), ids...)
	if err != nil {
		return c, fmt.Errorf("age decrypt: %w", err)
	}
	plain := bufio.NewReader(r)
	var text io.Reader = plain
	if magic, _ := plain.Peek(len(gzipMagic)); bytes.Equal(magic, gzipMagic) {
		if text, err = gzip.NewReader(plain); err != nil {
			return c, fmt.Errorf("chunk gzip: %w", err)
		}
	}
	if err := json.NewDecoder(text).Decode(&c); err != nil {
		return c, fmt.Errorf("chunk json: %w", err)
	}
	for i, row := range c.Rows {
		if len(row) != len(c.Columns) {
			return c, fmt.Errorf("chunk rows[%d] has %d cells for %d columns", i, len(row), len(c.Columns))
		}
	}
	return c, nil
}

// Seal encrypts c to recipients the way the widget does on a slow link
// (gzip, then age); SealJSON as it does on a fast one (the JSON as it is).
// The server never calls them; they are for tests and for tools that write
// payloads a receiver opens with Open.
func Seal(c Chunk, recipients ...age.Recipient) ([]byte, error) {
	return seal(c, true, recipients)
}

// SealJSON encrypts c's JSON to recipients, not compressed (Seal).
func SealJSON(c Chunk, recipients ...age.Recipient) ([]byte, error) {
	return seal(c, false, recipients)
}

func seal(c Chunk, compress bool, recipients []age.Recipient) ([]byte, error) {
	var out bytes.Buffer
	w, err := age.Encrypt(&out, recipients...)
	if err != nil {
		return nil, err
	}
	text := w
	var gz *gzip.Writer
	if compress {
		gz = gzip.NewWriter(w)
		text = gz
	}
	if err := json.NewEncoder(text).Encode(c); err != nil {
		return nil, err
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Payloads reads what intake decrypt is given and yields each age payload
// in it: a binary age file (a chunk or an S3 object), one webhook
// envelope, or a .age bundle of JSON lines.
func Payloads(r io.Reader, yield func([]byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(len(Header))
	if string(head) == Header {
		body, err := io.ReadAll(br)
		if err != nil {
			return err
		}
		return yield(body)
	}
	dec := json.NewDecoder(br)
	for n := 0; ; n++ {
		var line struct {
			Ciphertext []byte `json:"ciphertext"`
		}
		err := dec.Decode(&line)
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return errors.New("no age payload: expected an age file, a webhook body or a .age bundle")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("payload %d: %w", n, err)
		}
		if !bytes.HasPrefix(line.Ciphertext, []byte(Header)) {
			return fmt.Errorf("payload %d has no age ciphertext", n)
		}
		if err := yield(line.Ciphertext); err != nil {
			return fmt.Errorf("payload %d: %w", n, err)
		}
	}
}
