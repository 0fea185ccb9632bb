// English strings: the reference every other locale translates, key for key.
export const en = {
  step_upload: "Upload",
  step_sheet: "Sheet",
  step_header: "Header row",
  step_map: "Match columns",
  step_review: "Review",
  step_submit: "Submit",
  step_done: "Done",
  drop_title: "Drop a CSV or Excel file here",
  drop_or: "or",
  choose_file: "Choose a file",
  paste_hint: "You can also paste cells copied from a spreadsheet (Ctrl+V).",
  formats_hint: "CSV, TSV, XLSX, XLS or ODS.",
  max_size: "Up to {size}.",
  reading: "Reading the file…",
  sheet_title: "Which sheet do you want to import?",
  header_title: "Which row holds the column names?",
  header_hint: "Select the row; rows above it are skipped.",
  no_header: "The file has no header row",
  column_name: "Column {name}",
  encoding: "Encoding",
  map_title: "Match your columns to the fields",
  map_field: "Field",
  map_source: "Column in your file",
  map_sample: "Example",
  map_none: "— Not in my file —",
  map_confidence: "{pct}% match",
  map_required_missing: "Required field not matched: {fields}",
  map_duplicate: "A column of your file is matched to several fields.",
  discards_edits: "Your edits and deleted rows from the review will be lost if you change this.",
  required: "required",
  review_no_errors: "No errors",
  checked_pct: "Checking: {pct}%",
  errors_only: "Only rows with errors",
  find: "Find",
  replace_with: "Replace with",
  in_column: "In column",
  all_columns: "All columns",
  replace_all: "Replace all",
  submit: "Submit",
  submit_anyway: "Submit anyway",
  fix_first: "Fix the errors to submit.",
  back: "Back",
  next: "Continue",
  cancel: "Cancel",
  close: "Close",
  retry: "Try again",
  retrying: "Connection trouble, retrying…",
  paused: "The upload was interrupted. Your rows are still here: try again to continue where it stopped.",
  refused: "The server found errors in some rows. They are highlighted below.",
  done_title: "Import complete",
  row: "Row",
  select_row: "Select row",
  edit_cell: "Edit",
  err_empty_file: "The file is empty.",
  err_binary_file: "This does not look like a spreadsheet or a text file.",
  err_not_a_workbook: "The workbook could not be read. Is it really an Excel file?",
  err_password_protected: "The file is password-protected. Remove the password and try again.",
  err_unsupported_format: "This file type is not supported. Save it as CSV or XLSX.",
  err_zip_bomb: "The file expands to far more data than it holds, so it was refused.",
  err_no_sheets: "The workbook has no sheet with cells.",
  err_too_large: "The file is larger than {size}.",
  err_header_only: "The file has column names but no rows.",
  err_parse_failed: "The file could not be read.",
  err_worker_crashed: "The browser ran out of resources while reading the file.",
  err_no_template: "This importer is not set up yet.",
  err_network: "The server cannot be reached.",
  err_server: "The server refused the upload ({code}).",
  err_still_checking: "Wait until every row is checked.",
  steps: "Steps",
  delimiter: "Separator",
  delim_comma: "Comma (,)",
  delim_semicolon: "Semicolon (;)",
  delim_tab: "Tab",
  delim_pipe: "Vertical bar (|)",
  guard_empty: "Every cell of the matched columns is empty. The file may use another separator.",
  guard_empty_sheet: "Every cell of the matched columns is empty.",
  guard_unmatched: "No column of your file is matched to a field. The file may use another separator.",
  guard_unmatched_sheet: "No column of your file is matched to a field.",
  select_all: "Select all",
  select_errors: "Select the rows with errors",
  select_none: "Clear selection",
  cell_error: "Row {row}, {column}: {message}",
  size_b: "{n} B",
  size_kb: "{n} KB",
  size_mb: "{n} MB",
  size_gb: "{n} GB",
  err_nothing_to_import: "Every cell of the matched columns is empty: there is nothing to import.",
};

/**
 * Messages with a count: one text per plural category of the language
 * (Intl.PluralRules), "other" always. English has one and other.
 */
export const enPlurals = {
  checking: { one: "Checking {rows} row…", other: "Checking {rows} rows…" },
  review_rows: { one: "{rows} row", other: "{rows} rows" },
  review_errors: { one: "{rows} row with errors", other: "{rows} rows with errors" },
  replaced: { one: "{count} cell replaced", other: "{count} cells replaced" },
  delete_rows: { one: "Delete {count} selected row", other: "Delete {count} selected rows" },
  sending: { one: "Sending {sent} of {total} row…", other: "Sending {sent} of {total} rows…" },
  done_rows: { one: "{rows} row imported.", other: "{rows} rows imported." },
  done_errors: { one: "{rows} of them has errors.", other: "{rows} of them have errors." },
  err_too_many_rows: { one: "The file has {rows} row; this importer accepts at most {max}.", other: "The file has {rows} rows; this importer accepts at most {max}." },
  blank_rows: { one: "{count} blank row was skipped.", other: "{count} blank rows were skipped." },
} satisfies Record<string, PluralForms>;

/**
 * The variable of each counted message whose number picks the form (the
 * same in every language).
 */
export const pluralCount: Record<PluralKey, string> = {
  checking: "rows",
  review_rows: "rows",
  review_errors: "rows",
  replaced: "count",
  delete_rows: "count",
  sending: "total",
  done_rows: "rows",
  done_errors: "rows",
  err_too_many_rows: "rows",
  blank_rows: "count",
};

/** The texts of a counted message by plural category; other is the fallback. */
export type PluralForms = { other: string } & Partial<Record<Intl.LDMLPluralRule, string>>;
/** A message key. */
export type MessageKey = keyof typeof en;
/** A counted message's key. */
export type PluralKey = keyof typeof enPlurals;
/** A full translation. */
export type Messages = Record<MessageKey, string>;
/** A full translation of the counted messages, with the categories the language has. */
export type Plurals = Record<PluralKey, PluralForms>;
