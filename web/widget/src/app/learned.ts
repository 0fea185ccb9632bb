// The importer's learned mappings arrive as keyed hashes of headers, never
// as the headers themselves: the importer page is public, and one end
// user's header names are not the next one's to read. The widget hashes the
// headers of its own file the same way (Go: widget.LearnedHash) and keeps
// the learned pairs of those it finds, for the matcher.
import { normalise } from "../mapping/normalise.ts";
import type { LearnedPair } from "../mapping/index.ts";

/** One learned mapping as the importer page gives it. */
export interface HashedPair {
  hash: string;
  key: string;
}

/** learnedHash is the first 128 bits of SHA-256(importer key, NUL, normalised header), in hex. */
export async function learnedHash(importerKey: string, normalisedHeader: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${importerKey}\u0000${normalisedHeader}`));
  return Array.from(new Uint8Array(digest).subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** resolveLearned gives the learned pairs of the headers of this file that were learned. */
export async function resolveLearned(importerKey: string, headers: readonly string[], hashed: readonly HashedPair[]): Promise<LearnedPair[]> {
  if (hashed.length === 0) return [];
  const byHash = new Map(hashed.map((p) => [p.hash, p.key]));
  const out: LearnedPair[] = [];
  for (const header of new Set(headers.map(normalise))) {
    if (header === "") continue;
    const key = byHash.get(await learnedHash(importerKey, header));
    if (key !== undefined) out.push({ header, key });
  }
  return out;
}
