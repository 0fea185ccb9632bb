// The seam between the widget and the rule engine. The widget needs three
// things from a template: its columns, a check per cell and a message per
// error code. The full engine (src/validate, src/mapping, shared vectors in
// testdata/conformance) replaces the interim checks below when it lands.
//
// Interim scope, on purpose: required and email (docs/templates.md rules),
// exact/synonym header matching, and first-non-sparse-row header detection.

/** A template column as the widget uses it (docs/templates.md). */
export interface Column {
  key: string;
  label: string;
  required: boolean;
  type: string;
  synonyms: string[];
}

/** The checks a template implies. */
export interface Engine {
  columns: Column[];
  /** Error code for a raw cell value, or null when valid. */
  check(column: number, value: string | null): string | null;
}

interface TemplateJSON {
  columns?: { key?: unknown; label?: unknown; required?: unknown; type?: unknown; synonyms?: unknown }[];
}

/** Thrown when the importer's template is unusable. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/** Builds the engine for a template object (already JSON-decoded). */
export function loadEngine(template: unknown): Engine {
  const t = template as TemplateJSON | null;
  if (!t || !Array.isArray(t.columns) || t.columns.length === 0) throw new TemplateError("template has no columns");
  const columns: Column[] = t.columns.map((c, i) => {
    if (typeof c.key !== "string") throw new TemplateError(`column ${i} has no key`);
    return {
      key: c.key,
      label: typeof c.label === "string" ? c.label : c.key,
      required: c.required === true,
      type: typeof c.type === "string" ? c.type : "text",
      synonyms: Array.isArray(c.synonyms) ? c.synonyms.filter((s): s is string => typeof s === "string") : [],
    };
  });
  return {
    columns,
    check(column, value) {
      const c = columns[column]!;
      const v = value === null ? "" : value.trim();
      if (v === "") return c.required ? "required" : null;
      if (c.type === "email" && !isEmail(v)) return "invalid_email";
      return null;
    },
  };
}

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isEmail(v: string): boolean {
  if (v.length > 254) return false;
  const at = v.indexOf("@");
  if (at < 0 || v.indexOf("@", at + 1) >= 0) return false;
  const local = v.slice(0, at);
  const labels = v.slice(at + 1).split(".");
  if (!LOCAL.test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) return false;
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return false;
  const last = labels[labels.length - 1]!;
  return /^[A-Za-z]{2,63}$/.test(last) || last.startsWith("xn--");
}

function norm(s: string): string {
  return s.trim().toLowerCase().replace(/[\s_-]+/g, " ");
}

/** A proposed source column for each template column, with a confidence 0..1. */
export interface Match {
  source: number | null;
  confidence: number;
}

/** Matches headers to template columns by key, label or synonym. */
export function matchColumns(columns: Column[], headers: string[]): Match[] {
  const normalized = headers.map(norm);
  const used = new Set<number>();
  return columns.map((c) => {
    for (const name of [c.key, c.label, ...c.synonyms]) {
      const i = normalized.indexOf(norm(name));
      if (i >= 0 && !used.has(i)) {
        used.add(i);
        return { source: i, confidence: 1 };
      }
    }
    return { source: null, confidence: 0 };
  });
}

/** Index of the likely header row among the first rows: the first that is as wide as the widest. */
export function detectHeaderRow(rows: string[][]): number {
  const filled = rows.map((r) => r.filter((v) => v.trim() !== "").length);
  const widest = Math.max(0, ...filled);
  const i = filled.findIndex((n) => n >= widest * 0.8 && n > 0);
  return i < 0 ? 0 : i;
}
