// The encoding and separator pickers of a delimited file: changing one reads
// the file again with it, keeping what the other forces. Pasted cells have
// neither (no bytes to decode; always tabs).
import { ENCODINGS } from "../parse/encoding.ts";
import type { App } from "./chrome.ts";
import { h } from "./dom.ts";
import type { ReadOptions } from "./state.ts";
import { DELIMITERS, offersDelimiter, offersEncoding } from "./steps.ts";
import type { FileInfo } from "../worker/messages.ts";

function reopen(app: App, change: ReadOptions): void {
  const file = app.state.file;
  if (file) void app.go.open(file.blob, file.name, { ...file.read, ...change });
}

/** The separator picker (comma, semicolon, tab, pipe, showing the one in use), or null when none applies. */
export function delimiterPicker(app: App, info: FileInfo): HTMLElement | null {
  if (!offersDelimiter(info)) return null;
  const { t } = app;
  const current = info.delimiter ?? ",";
  const known = DELIMITERS.some((d) => d.value === current);
  const select = h(
    "select",
    { id: "delimiter", "data-testid": "delimiter" },
    ...DELIMITERS.map((d) => h("option", { value: d.value }, t(d.label))),
    known ? null : h("option", { value: current }, current),
  );
  select.value = current;
  select.addEventListener("change", () => reopen(app, { delimiter: select.value }));
  return h("span", { class: "inline" }, h("label", { for: "delimiter" }, t("delimiter"), " "), select);
}

/** The encoding picker, or null when none applies. */
export function encodingPicker(app: App, info: FileInfo): HTMLElement | null {
  if (!offersEncoding(info)) return null;
  const select = h("select", { id: "encoding", "data-testid": "encoding" }, ...ENCODINGS.map((e) => h("option", { value: e }, e)));
  select.value = info.encoding!;
  select.addEventListener("change", () => reopen(app, { encoding: select.value }));
  return h("span", { class: "inline" }, h("label", { for: "encoding" }, app.t("encoding"), " "), select);
}
