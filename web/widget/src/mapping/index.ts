// Column matching and header-row detection, with the same answers as the Go
// package internal/mapping on the shared vectors.

export { matchColumns, FUZZY_THRESHOLD } from "./match.ts";
export type { Match, MatchColumn } from "./match.ts";
export { detectHeaderRow, HEADER_SCAN_ROWS } from "./header.ts";
export { normalise } from "./normalise.ts";
