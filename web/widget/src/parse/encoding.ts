// Text decoding for delimited files. Browsers' FileReader cannot be trusted
// here: Papa Parse reads a File in slices and decodes each slice on its own,
// which breaks a multi-byte character cut by a slice boundary. We decode the
// bytes ourselves with one streaming TextDecoder instead.

/** Encodings the encoding picker offers; labels are WHATWG encoding names. */
export const ENCODINGS = ["utf-8", "utf-16le", "utf-16be", "windows-1252", "iso-8859-15", "shift_jis", "gb18030"] as const;

/** Encoding read from a byte order mark, or null when the bytes carry none. */
export function sniffBOM(head: Uint8Array): "utf-8" | "utf-16le" | "utf-16be" | null {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return "utf-8";
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  return null;
}

/** Thrown by decodeChunks when bytes are not valid in the strict encoding asked for. */
export class InvalidEncodingError extends Error {
  constructor(readonly encoding: string) {
    super(`bytes are not valid ${encoding}`);
    this.name = "InvalidEncodingError";
  }
}

/**
 * lineRuns cuts UTF-8 bytes into runs of whole lines such that the lines
 * holding a character above U+00FF (lead byte 0xC4 or more) are runs apart
 * from the lines around them, and returns the end of each run. The engine
 * keeps text without such a character at one byte per character; a single
 * one makes a whole decoded chunk, and every row parsed from it, two bytes
 * per character. Bytes that continue a character begun in the chunk before
 * count as such a character.
 */
export function lineRuns(bytes: Uint8Array): number[] {
  const ends: number[] = [];
  const n = bytes.length;
  let start = 0;
  let i = 0;
  let wide = n > 0 && bytes[0]! >= 0x80 && bytes[0]! < 0xc0 ? 0 : -1;
  for (;;) {
    if (wide < 0) {
      while (i < n && bytes[i]! < 0xc4) i++;
      if (i === n) break;
      wide = i;
    }
    const lineStart = Math.max(start, bytes.lastIndexOf(0x0a, wide) + 1);
    const newline = bytes.indexOf(0x0a, wide);
    const lineEnd = newline < 0 ? n : newline + 1;
    // A wide line right after a wide run joins it.
    if (lineStart > start) ends.push(lineStart);
    else if (ends.length > 0) ends.pop();
    ends.push(lineEnd);
    start = i = lineEnd;
    wide = -1;
  }
  if (start < n) ends.push(n);
  return ends;
}

/**
 * decodeChunks yields the text of blob, decoded as encoding, as the blob's
 * stream delivers it (pieces of some tens of kilobytes), UTF-8 in the runs
 * of lineRuns: every piece of bytes and of text is dropped long before the
 * next, so the file never sits in memory whole, not even as garbage. With
 * strict set, an invalid byte sequence throws InvalidEncodingError so the
 * caller can retry with a fallback (UTF-8 first, then Windows-1252). A byte
 * order mark is consumed and never appears in the text.
 */
export async function* decodeChunks(blob: Blob, encoding: string, strict: boolean, onBytes?: (read: number) => void): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: strict });
  const reader = blob.stream().getReader();
  let read = 0;
  const decode = (bytes?: Uint8Array): string => {
    try {
      return bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
    } catch {
      throw new InvalidEncodingError(encoding);
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      read += value.byteLength;
      onBytes?.(read);
      let from = 0;
      for (const end of decoder.encoding === "utf-8" ? lineRuns(value) : [value.byteLength]) {
        const text = decode(value.subarray(from, end));
        from = end;
        if (text) yield text;
      }
    }
  } finally {
    // Stops reading when the caller gives up early (an invalid byte).
    await reader.cancel();
  }
  const tail = decode();
  if (tail) yield tail;
}
