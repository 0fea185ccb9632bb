package retention

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/intakehq/intake/internal/importlog"
	"github.com/intakehq/intake/internal/store"
)

// A deletion receipt is the import.purged event of an import. Its hash is
// SHA-256 over receiptDomain, the organization id, the import id and the
// event's stored JSON, separated by zero bytes; each receipt carries the hash
// of the organization's previous receipt (none for the first), and the store
// keeps the hash of the last one as the chain's head. Removing or editing any
// receipt therefore breaks the chain at the next receipt or at the head.
const receiptDomain = "intake/deletion-receipt/v1"

// NewReceipt builds the receipt of a shredded import chained to prev and
// returns it with its hash.
func NewReceipt(im store.Shredded, prev []byte, reason importlog.Reason, at time.Time) (importlog.Purged, []byte, error) {
	p := importlog.Purged{Reason: reason, Chunks: im.Chunks, BytesDestroyed: im.Bytes, At: at}
	if len(im.WrappedKey) > 0 {
		k := sha256.Sum256(im.WrappedKey)
		p.KeyHash = importlog.HexDigest(hex.EncodeToString(k[:]))
	}
	if prev != nil {
		p.PrevHash = importlog.HexDigest(hex.EncodeToString(prev))
	}
	data, err := importlog.Encode(p)
	if err != nil {
		return p, nil, err
	}
	return p, receiptHash(im.OrgID, im.ID, data), nil
}

func receiptHash(orgID, importID string, data []byte) []byte {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(receiptDomain), []byte(orgID), []byte(importID)} {
		h.Write(part)
		h.Write([]byte{0})
	}
	h.Write(data)
	return h.Sum(nil)
}

// Problem is one break in an organization's receipts.
type Problem struct {
	Seq      int64  `json:"seq,omitempty"`
	ImportID string `json:"import_id,omitempty"`
	Problem  string `json:"problem"`
}

// Audit is the outcome of verifying one organization's receipts.
type Audit struct {
	OrgID    string    `json:"org_id"`
	Receipts int       `json:"receipts"`
	Head     string    `json:"head_sha256,omitempty"`
	OK       bool      `json:"ok"`
	Problems []Problem `json:"problems,omitempty"`
}

// Verify walks orgID's receipts in order and reports every break: a receipt
// whose previous hash is not that of the receipt before it (one between was
// removed or edited), one not in canonical form (edited by hand), a head that
// is not the last receipt's hash or a count that differs (the last receipts
// were removed), a purged import without exactly one receipt, or a receipt
// for an import that is not purged.
func Verify(ctx context.Context, st *store.Store, orgID string) (Audit, error) {
	a := Audit{OrgID: orgID}
	receipts, err := st.Receipts(ctx, orgID)
	if err != nil {
		return a, err
	}
	head, count, err := st.ReceiptChain(ctx, orgID)
	if err != nil {
		return a, err
	}
	purged, err := st.PurgedImportIDs(ctx, orgID)
	if err != nil {
		return a, err
	}
	seen := make(map[string]int, len(receipts))
	var prev []byte
	for _, r := range receipts {
		seen[r.ImportID]++
		var p importlog.Purged
		if err := json.Unmarshal(r.Data, &p); err != nil {
			a.add(r, "receipt is not valid JSON (edited)")
		} else if canon, _ := importlog.Encode(p); !bytes.Equal(canon, r.Data) {
			a.add(r, "receipt is not in canonical form (edited)")
		} else if want := hexOrEmpty(prev); string(p.PrevHash) != want {
			a.add(r, "receipt does not chain to the one before it (a receipt was removed or edited)")
		}
		prev = receiptHash(orgID, r.ImportID, r.Data)
	}
	a.Receipts = len(receipts)
	a.Head = hexOrEmpty(prev)
	if !bytes.Equal(prev, head) {
		a.Problems = append(a.Problems, Problem{Problem: "the chain head is not the last receipt's hash (a receipt was removed or edited)"})
	}
	if int64(len(receipts)) != count {
		a.Problems = append(a.Problems, Problem{Problem: fmt.Sprintf("%d receipts found, %d were written", len(receipts), count)})
	}
	isPurged := make(map[string]bool, len(purged))
	for _, id := range purged {
		isPurged[id] = true
		switch n := seen[id]; {
		case n == 0:
			a.Problems = append(a.Problems, Problem{ImportID: id, Problem: "purged import has no receipt (it was removed)"})
		case n > 1:
			a.Problems = append(a.Problems, Problem{ImportID: id, Problem: fmt.Sprintf("import has %d receipts", n)})
		}
	}
	for _, r := range receipts {
		if !isPurged[r.ImportID] {
			a.add(r, "receipt for an import that is not purged")
		}
	}
	a.OK = len(a.Problems) == 0
	return a, nil
}

func (a *Audit) add(r store.Receipt, problem string) {
	a.Problems = append(a.Problems, Problem{Seq: r.Seq, ImportID: r.ImportID, Problem: problem})
}

func hexOrEmpty(b []byte) string {
	if b == nil {
		return ""
	}
	return hex.EncodeToString(b)
}
