package ingest

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/bits"
	"sync"
)

// gunzip inflates a whole gzip body (RFC 1952: one or more members, each a
// DEFLATE stream, RFC 1951) held in memory, appending to dst. It is the
// ingest path's largest single cost, and a streaming reader (klauspost's
// flate, twice as fast as compress/flate) spends much of it on machinery a
// body already in memory does not need: it reads a byte at a time, decodes
// into a 32 KiB window and copies out of it. gunzip reads the input 64 bits
// at a time and writes matches straight into the output.
//
// It accepts what compress/gzip accepts, with the same output, and refuses
// the rest (FuzzGunzip holds it to that). Past limit bytes of output it
// stops with errInflatedTooLarge; a body that is corrupt as well may get
// either error, as it may from compress/gzip, which finds some corruption
// only after the limit and some a few bytes earlier than gunzip.
func gunzip(dst, src []byte, limit int) ([]byte, error) {
	if len(src) == 0 {
		return dst, errBadGzip // compress/gzip: io.EOF from NewReader
	}
	for len(src) > 0 {
		body, err := gzipHeader(src)
		if err != nil {
			return dst, err
		}
		start := len(dst)
		in := inflater{src: src[body:], out: dst, base: start, limit: limit}
		if err := in.run(); err != nil {
			return in.out, err
		}
		dst = in.out
		end := body + in.pos // the trailer's offset in src
		if len(src)-end < 8 {
			return dst, errBadGzip
		}
		sum, size := binary.LittleEndian.Uint32(src[end:]), binary.LittleEndian.Uint32(src[end+4:])
		if crc32.ChecksumIEEE(dst[start:]) != sum || uint32(len(dst)-start) != size {
			return dst, errBadGzip
		}
		src = src[end+8:]
	}
	return dst, nil
}

var (
	errBadGzip          = errors.New("not valid gzip")
	errInflatedTooLarge = errors.New("inflates past the limit")
)

// gzipHeader checks a member's header and returns its length.
func gzipHeader(src []byte) (int, error) {
	const (
		fHCRC    = 1 << 1
		fEXTRA   = 1 << 2
		fNAME    = 1 << 3
		fCOMMENT = 1 << 4
		maxName  = 512 // compress/gzip's bound on a name or comment, NUL included
	)
	if len(src) < 10 || src[0] != 0x1f || src[1] != 0x8b || src[2] != 8 {
		return 0, errBadGzip
	}
	flg, i := src[3], 10
	if flg&fEXTRA != 0 {
		if len(src)-i < 2 {
			return 0, errBadGzip
		}
		i += 2 + int(binary.LittleEndian.Uint16(src[i:]))
	}
	for _, f := range []byte{fNAME, fCOMMENT} {
		if flg&f == 0 {
			continue
		}
		n := 0
		for i+n < len(src) && src[i+n] != 0 && n < maxName {
			n++
		}
		if n >= maxName || i+n >= len(src) {
			return 0, errBadGzip
		}
		i += n + 1
	}
	if flg&fHCRC != 0 {
		if i+2 > len(src) || binary.LittleEndian.Uint16(src[i:]) != uint16(crc32.ChecksumIEEE(src[:i])) {
			return 0, errBadGzip
		}
		i += 2
	}
	if i > len(src) {
		return 0, errBadGzip
	}
	return i, nil
}

// inflater decodes one DEFLATE stream from src, appending to out.
type inflater struct {
	src   []byte
	pos   int    // next byte of src to load into bits
	bits  uint64 // loaded bits, least significant first; bits above n are junk
	n     uint   // valid bits in bits
	pad   int    // zero bytes loaded past the end of src
	out   []byte
	base  int // where this stream's output starts in out: matches cannot reach before
	limit int
	// Tables of the current dynamic block; fixed blocks use fixedTables.
	lit, dist huffTable
	lens      [maxLit + maxDist]uint8
}

const (
	maxLit  = 286
	maxDist = 30
	// Every symbol of a Huffman block is decoded with this many bits
	// loaded: a length code and its extra bits (15+5), then a distance code
	// and its extra bits (15+13).
	symbolBits = 48
)

// refill loads whole bytes until at least 56 bits are valid. Near the end of
// src it loads zero bytes instead, and reports false once any of them was
// consumed: the stream is truncated.
func (f *inflater) refill() bool {
	if f.pos+8 <= len(f.src) {
		// The bytes loaded above n are those the next refill loads at
		// the same place: or-ing them in again changes nothing.
		f.bits |= binary.LittleEndian.Uint64(f.src[f.pos:]) << f.n
		k := (63 - f.n) >> 3
		f.pos += int(k)
		f.n += k * 8
		return true
	}
	for f.n <= 56 {
		if f.pos < len(f.src) {
			f.bits |= uint64(f.src[f.pos]) << f.n
			f.pos++
		} else {
			f.pad++
		}
		f.n += 8
	}
	return int(f.n) >= 8*f.pad
}

// take consumes and returns k (at most 32) bits, which must be loaded.
func (f *inflater) take(k uint) uint32 {
	v := uint32(f.bits & (1<<k - 1))
	f.bits >>= k
	f.n -= k
	return v
}

// need makes sure k bits are loaded.
func (f *inflater) need(k uint) bool {
	return f.n >= k || f.refill() && f.n >= k
}

// alignedPos drops the bits up to the next byte boundary and returns the
// offset in src of the first byte not consumed, emptying the bit buffer.
func (f *inflater) alignedPos() (int, bool) {
	f.take(f.n % 8)
	p := f.pos - int(f.n/8) + f.pad
	f.bits, f.n, f.pad = 0, 0, 0
	f.pos = p
	return p, p <= len(f.src)
}

func (f *inflater) run() error {
	for {
		if !f.need(3) {
			return errBadGzip
		}
		final, typ := f.take(1), f.take(2)
		var err error
		switch typ {
		case 0:
			err = f.stored()
		case 1:
			t := fixedTables()
			err = f.huffman(&t[0], &t[1])
		case 2:
			if err = f.readTables(); err == nil {
				err = f.huffman(&f.lit, &f.dist)
			}
		default:
			err = errBadGzip
		}
		if err != nil {
			return err
		}
		if final == 1 {
			if _, ok := f.alignedPos(); !ok {
				return errBadGzip
			}
			return nil
		}
	}
}

func (f *inflater) stored() error {
	p, ok := f.alignedPos()
	if !ok || len(f.src)-p < 4 {
		return errBadGzip
	}
	n := int(binary.LittleEndian.Uint16(f.src[p:]))
	if uint16(n) != ^binary.LittleEndian.Uint16(f.src[p+2:]) || len(f.src)-p-4 < n {
		return errBadGzip
	}
	if len(f.out)+n > f.limit {
		return errInflatedTooLarge
	}
	f.out = append(f.out, f.src[p+4:p+4+n]...)
	f.pos = p + 4 + n
	return nil
}

// codeOrder is the order in which code length code lengths are sent.
var codeOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// readTables reads a dynamic block's code lengths and builds its tables.
func (f *inflater) readTables() error {
	if !f.need(14) {
		return errBadGzip
	}
	nlit, ndist, nclen := int(f.take(5))+257, int(f.take(5))+1, int(f.take(4))+4
	if nlit > maxLit || ndist > maxDist {
		return errBadGzip
	}
	var clens [19]uint8
	for i := range nclen {
		if !f.need(3) {
			return errBadGzip
		}
		clens[codeOrder[i]] = uint8(f.take(3))
	}
	var cl huffTable
	if !cl.build(clens[:], clenInfo[:], 7) {
		return errBadGzip
	}
	lens := f.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if !f.need(7 + 7) {
			return errBadGzip
		}
		e := cl.entries[f.bits&(1<<7-1)]
		if e == 0 {
			return errBadGzip
		}
		f.take(uint(e & entryLen))
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return errBadGzip
			}
			rep, v = 3+int(f.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(f.take(3))
		default:
			rep = 11 + int(f.take(7))
		}
		if i+rep > len(lens) {
			return errBadGzip
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	if !f.lit.build(lens[:nlit], litInfo[:], 10) || !f.dist.build(lens[nlit:], distInfo[:], 8) {
		return errBadGzip
	}
	return nil
}

// huffman decodes a compressed block's symbols.
func (f *inflater) huffman(lit, dist *huffTable) error {
	// The hot loop works on locals; the fields are synced around refills.
	out, base, limit := f.out, f.base, f.limit
	defer func() { f.out = out }()
	for {
		if f.n < symbolBits && !f.refill() {
			return errBadGzip
		}
		e := lit.entries[f.bits&lit.mask]
		if e&entryLink != 0 {
			e = lit.entries[e>>16+uint32(f.bits>>lit.primary)&lit.subMask]
		}
		switch e & entryKind {
		case kindLiteral:
			f.bits >>= e & entryLen
			f.n -= uint(e & entryLen)
			if len(out) >= limit {
				return errInflatedTooLarge
			}
			out = append(out, byte(e>>16))
			continue
		case kindEnd:
			f.bits >>= e & entryLen
			f.n -= uint(e & entryLen)
			return nil
		case kindBase:
		default:
			return errBadGzip
		}
		f.bits >>= e & entryLen
		f.n -= uint(e & entryLen)
		extra := uint(e>>entryExtraShift) & 15
		length := int(e>>16) + int(f.bits&(1<<extra-1))
		f.bits >>= extra
		f.n -= extra
		d := dist.entries[f.bits&dist.mask]
		if d&entryLink != 0 {
			d = dist.entries[d>>16+uint32(f.bits>>dist.primary)&dist.subMask]
		}
		if d&entryKind != kindBase {
			return errBadGzip
		}
		f.bits >>= d & entryLen
		f.n -= uint(d & entryLen)
		extra = uint(d>>entryExtraShift) & 15
		distance := int(d>>16) + int(f.bits&(1<<extra-1))
		f.bits >>= extra
		f.n -= extra
		if distance > len(out)-base {
			return errBadGzip
		}
		if len(out)+length > limit {
			return errInflatedTooLarge
		}
		at := len(out)
		if cap(out)-at < length {
			out = append(out, make([]byte, length)...)
		} else {
			out = out[:at+length]
		}
		if distance >= length {
			copy(out[at:], out[at-distance:at-distance+length])
		} else {
			for i := at; i < at+length; i++ {
				out[i] = out[i-distance]
			}
		}
	}
}

// A huffTable maps the next bits of the input to a symbol's entry: a primary
// table indexed by the low primary bits, and for longer codes subtables of
// subBits each, linked from the primary entry of their prefix.
type huffTable struct {
	entries          []uint32
	mask             uint64 // 1<<primary - 1
	primary, subBits uint
	subMask          uint32
}

// An entry: the code's length in bits (0: no such code), its kind, for a
// length or distance the number of extra bits, and a value — a literal
// byte, a base length or distance, a code length symbol, or a link's
// subtable offset.
const (
	entryLen        = 0x1f
	entryKind       = 0x60
	kindLiteral     = 0x20
	kindBase        = 0x40
	kindEnd         = 0x60
	entryLink       = 0x80
	entryExtraShift = 8
)

// Per symbol: its entry without the code length.
var litInfo, distInfo, clenInfo = func() (lit [288]uint32, dist [32]uint32, clen [19]uint32) {
	for s := range 256 {
		lit[s] = kindLiteral | uint32(s)<<16
	}
	lit[256] = kindEnd
	base := 3
	for s := 257; s < 286; s++ {
		extra := 0
		if s >= 265 && s < 285 {
			extra = (s - 261) / 4
		}
		if s == 285 {
			base = 258
		}
		lit[s] = kindBase | uint32(extra)<<entryExtraShift | uint32(base)<<16
		base += 1 << extra
	}
	// 286 and 287 stay 0: they have codes in fixed blocks but no meaning.
	base = 1
	for s := range 30 {
		extra := max(0, s/2-1)
		dist[s] = kindBase | uint32(extra)<<entryExtraShift | uint32(base)<<16
		base += 1 << extra
	}
	for s := range 19 {
		clen[s] = kindLiteral | uint32(s)<<16
	}
	return
}()

// build makes the table of a canonical Huffman code given its code lengths.
// Like compress/flate it refuses an over-subscribed code and an incomplete
// one, except a single code of length one; a code of no symbols builds a
// table in which every lookup fails.
func (h *huffTable) build(lengths []uint8, info []uint32, primary uint) bool {
	var count [16]int
	maxLen := 0
	for _, l := range lengths {
		count[l]++
		maxLen = max(maxLen, int(l))
	}
	count[0] = 0
	var next [16]int
	code := 0
	for l := 1; l <= 15; l++ {
		code <<= 1
		next[l] = code
		code += count[l]
	}
	// code is now the Kraft sum scaled by 2^15: 2^15 for a complete code.
	if maxLen > 0 && code != 1<<15 && !(maxLen == 1 && count[1] == 1) {
		return false
	}
	h.primary, h.mask = primary, 1<<primary-1
	h.subBits = uint(max(maxLen-int(primary), 0))
	h.subMask = 1<<h.subBits - 1
	size := 1 << primary
	h.entries = append(h.entries[:0], make([]uint32, size)...)
	for sym, l := range lengths {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		rev := int(bits.Reverse16(uint16(c)) >> (16 - l))
		e := info[sym] | uint32(l)
		if uint(l) <= primary {
			for i := rev; i < size; i += 1 << l {
				h.entries[i] = e
			}
			continue
		}
		p := rev & (size - 1)
		if h.entries[p] == 0 {
			h.entries[p] = entryLink | uint32(len(h.entries))<<16
			h.entries = append(h.entries, make([]uint32, 1<<h.subBits)...)
		}
		off := int(h.entries[p] >> 16)
		for i := rev >> primary; i < 1<<h.subBits; i += 1 << (uint(l) - primary) {
			h.entries[off+i] = e
		}
	}
	return true
}

// fixedTables are the tables of fixed-code blocks (RFC 1951, 3.2.6).
var fixedTables = sync.OnceValue(func() *[2]huffTable {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	var t [2]huffTable
	t[0].build(lens[:], litInfo[:], 10)
	var dl [32]uint8
	for i := range dl {
		dl[i] = 5
	}
	t[1].build(dl[:], distInfo[:], 8)
	return &t
})
