// A minimal ZIP reader for XLSX: it reads the central directory at the end of
// the file and streams one entry at a time through the browser's native
// DecompressionStream, so a workbook is never held inflated in memory and a
// zip bomb is stopped as soon as an entry inflates past its limit.

/** One file inside the archive, as the central directory describes it. */
export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  encrypted: boolean;
}

/** Thrown for archives Intake cannot or will not read; code is shown to the user. */
export class ZipError extends Error {
  constructor(
    readonly code: "not_zip" | "zip64" | "encrypted" | "zip_bomb" | "unsupported_compression" | "too_many_columns" | "too_much_data",
    message: string,
  ) {
    super(message);
    this.name = "ZipError";
  }
}

/** Entries inflating beyond this ratio (and past MIN_BOMB_BYTES) are refused as zip bombs. */
export const MAX_RATIO = 100;
export const MIN_BOMB_BYTES = 16 << 20;
/**
 * The inflated bytes one read of the file may take, all its entries
 * together: opening the workbook (its small parts and shared strings) is one
 * read, each sheet read is another. 2 GiB: several times a million-row sheet.
 */
export const MAX_INFLATED_BYTES = 2 * 1024 ** 3;

/** What is left of a read's inflated-bytes budget, shared by the entries it reads. */
export class InflateBudget {
  constructor(public left: number = MAX_INFLATED_BYTES) {}
}

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Reads the central directory of blob; throws ZipError when it is not a ZIP. */
export async function readEntries(blob: Blob): Promise<Map<string, ZipEntry>> {
  const tailSize = Math.min(blob.size, 65557);
  const tail = new Uint8Array(await blob.slice(blob.size - tailSize).arrayBuffer());
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (u32(tail, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError("not_zip", "no ZIP end of central directory");
  const count = u16(tail, eocd + 10);
  const dirSize = u32(tail, eocd + 12);
  const dirOffset = u32(tail, eocd + 16);
  if (dirOffset === 0xffffffff || count === 0xffff) throw new ZipError("zip64", "ZIP64 archives are not supported");
  if (dirOffset + dirSize > blob.size) throw new ZipError("not_zip", "central directory out of bounds");
  const dir = new Uint8Array(await blob.slice(dirOffset, dirOffset + dirSize).arrayBuffer());
  const entries = new Map<string, ZipEntry>();
  const names = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || u32(dir, p) !== 0x02014b50) throw new ZipError("not_zip", "corrupt central directory");
    const flags = u16(dir, p + 8);
    const nameLength = u16(dir, p + 28);
    const extraLength = u16(dir, p + 30);
    const commentLength = u16(dir, p + 32);
    const name = names.decode(dir.subarray(p + 46, p + 46 + nameLength));
    entries.set(name.replace(/^\/+/, ""), {
      name,
      method: u16(dir, p + 10),
      compressedSize: u32(dir, p + 20),
      uncompressedSize: u32(dir, p + 24),
      localHeaderOffset: u32(dir, p + 42),
      encrypted: (flags & 1) === 1,
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * entryStream returns the inflated bytes of entry as a stream. It errors with a
 * ZipError("zip_bomb") once the output passes MAX_RATIO times the compressed
 * size (and MIN_BOMB_BYTES), whatever the directory claims, and with
 * ZipError("too_much_data") once the read's budget is spent; inflating
 * stops there (the source is cancelled).
 */
export async function entryStream(blob: Blob, entry: ZipEntry, budget: InflateBudget = new InflateBudget()): Promise<ReadableStream<Uint8Array>> {
  if (entry.encrypted) throw new ZipError("encrypted", "the file is encrypted");
  if (entry.uncompressedSize > budget.left) throw new ZipError("too_much_data", "entry is larger than the inflated-bytes budget");
  const header = new Uint8Array(await blob.slice(entry.localHeaderOffset, entry.localHeaderOffset + 30).arrayBuffer());
  if (header.length < 30 || u32(header, 0) !== 0x04034b50) throw new ZipError("not_zip", "corrupt local header");
  const start = entry.localHeaderOffset + 30 + u16(header, 26) + u16(header, 28);
  const raw = blob.slice(start, start + entry.compressedSize).stream() as ReadableStream<Uint8Array>;
  let inflated: ReadableStream<Uint8Array>;
  if (entry.method === 0) inflated = raw;
  else if (entry.method === 8) inflated = raw.pipeThrough(new DecompressionStream("deflate-raw") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  else throw new ZipError("unsupported_compression", `compression method ${entry.method}`);
  const limit = Math.max(MIN_BOMB_BYTES, entry.compressedSize * MAX_RATIO);
  let total = 0;
  return inflated.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.length;
        budget.left -= chunk.length;
        if (total > limit) throw new ZipError("zip_bomb", "entry inflates beyond the allowed ratio");
        if (budget.left < 0) throw new ZipError("too_much_data", "the file inflates beyond the inflated-bytes budget");
        controller.enqueue(chunk);
      },
    }),
  );
}

/** A part read whole (relationships, workbook, styles) longer than this, in code units, refuses the file. */
export const MAX_PART_CHARS = 64 << 20;

/** Reads a whole (small) entry as text; for workbook parts, not for sheets. */
export async function entryText(blob: Blob, entry: ZipEntry, budget?: InflateBudget): Promise<string> {
  const stream = (await entryStream(blob, entry, budget)).pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>);
  let text = "";
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += value;
    if (text.length > MAX_PART_CHARS) {
      void reader.cancel().catch(() => {});
      throw new ZipError("too_much_data", "workbook part too long");
    }
  }
}
