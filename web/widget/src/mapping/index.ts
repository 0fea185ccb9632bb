// Column matching and header-row detection, with the same answers as the Go
// package internal/mapping on the shared vectors.

export { matchColumns, levelOf, FUZZY_THRESHOLD } from "./match.ts";
export type { Level, LearnedPair, Match, MatchColumn } from "./match.ts";
export { analyse, compact, CONCEPT_LOCALES } from "./concepts.ts";
export { sampleColumns, valueHints, SAMPLE_SIZE } from "./values.ts";
export { detectHeaderRow, HEADER_SCAN_ROWS } from "./header.ts";
export { normalise } from "./normalise.ts";
