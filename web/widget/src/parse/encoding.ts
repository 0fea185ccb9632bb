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
 * decodeChunks yields the text of blob, decoded as encoding, as the blob's
 * stream delivers it (pieces of some tens of kilobytes): every piece of bytes
 * and of text is dropped long before the next, so the file never sits in
 * memory whole, not even as garbage. With strict set, an invalid byte
 * sequence throws InvalidEncodingError so the caller can retry with a
 * fallback (UTF-8 first, then Windows-1252). A byte order mark is consumed
 * and never appears in the text.
 */
export async function* decodeChunks(blob: Blob, encoding: string, strict: boolean, onBytes?: (read: number) => void): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: strict });
  const reader = blob.stream().getReader();
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let text: string;
      try {
        text = decoder.decode(value, { stream: true });
      } catch {
        throw new InvalidEncodingError(encoding);
      }
      read += value.byteLength;
      onBytes?.(read);
      if (text) yield text;
    }
  } finally {
    // Stops reading when the caller gives up early (an invalid byte).
    await reader.cancel();
  }
  let tail: string;
  try {
    tail = decoder.decode();
  } catch {
    throw new InvalidEncodingError(encoding);
  }
  if (tail) yield tail;
}
