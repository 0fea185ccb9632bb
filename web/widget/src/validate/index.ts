// The widget's rule engine: the same template JSON and the same answers as
// the Go engine (internal/validate), pinned by testdata/conformance.

export { Validator, validate, errorMessage } from "./engine.ts";
export type { ValidationError, ValidationResult } from "./engine.ts";
export { MemoryUniqueness, hash } from "./unique.ts";
export type { KeyOf, Uniqueness } from "./unique.ts";
export { checkTemplate, TemplateError } from "./template.ts";
export type { TemplateSpec, ColumnSpec, ColumnType, RuleSpec, TemplateCode } from "./template.ts";
export { message, pickLocale, LOCALES } from "./messages.ts";
export type { ErrorCode, Params, Locale } from "./messages.ts";
