// Step 1: choose, drop or paste a file; the worker reads it.
import { formatBytes } from "../i18n/i18n.ts";
import { busy, fail, frame, type App } from "./chrome.ts";
import { h } from "./dom.ts";
import { WorkerError } from "./rpc.ts";
import { forgetReview, type ReadOptions } from "./state.ts";

export function showUpload(app: App, error?: string): void {
  const { config, t } = app;
  const input = h("input", { type: "file", accept: ".csv,.tsv,.txt,.tab,.xlsx,.xlsm,.xls,.ods,text/csv", tabindex: -1, "aria-hidden": "true", class: "visually-hidden", id: "file", "data-testid": "file" });
  input.addEventListener("change", () => {
    const f = input.files?.[0];
    if (f) void app.go.open(f, f.name);
  });
  const zone = h(
    "div",
    { class: "drop", tabindex: 0, role: "button", "aria-describedby": "drop-hint", onclick: () => input.click() },
    h("p", { class: "drop-title" }, t("drop_title")),
    h("p", {}, t("drop_or")),
    h("span", { class: "button primary" }, t("choose_file")),
    h("p", { class: "hint", id: "drop-hint" }, t("formats_hint"), " ", config.importer.maxFileBytes ? t("max_size", { size: formatBytes(config.importer.maxFileBytes, app.state.locale) }) : "", " ", t("paste_hint")),
  );
  zone.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      input.click();
    }
  });
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    const f = e.dataTransfer?.files[0];
    if (f) void app.go.open(f, f.name);
  });
  frame(app, "upload", h("div", {}, error ? h("p", { class: "error", role: "alert" }, error) : null, zone, input));
}

/** Cells pasted on the upload step arrive as tab-separated text: read like a file, marked pasted. */
export function listenForPaste(app: App): void {
  document.addEventListener("paste", (e) => {
    const text = e.clipboardData?.getData("text/plain");
    if (!text || !app.root.querySelector(".drop")) return;
    e.preventDefault();
    void app.go.open(new Blob([text], { type: "text/tab-separated-values" }), "pasted.tsv", { pasted: true });
  });
}

/** Has the worker read a file (again, with what the pickers force), then goes to the sheet or header step. */
export async function openFile(app: App, blob: Blob, name: string, read: ReadOptions = {}): Promise<void> {
  const { config, state, t } = app;
  if (config.importer.maxFileBytes && blob.size > config.importer.maxFileBytes) return fail(app, "too_large", { size: formatBytes(config.importer.maxFileBytes, state.locale) });
  state.file = { blob, name, read };
  forgetReview(state);
  // Marks for the benchmark (scripts/bench-widget.sh): file chosen → grid ready.
  performance.mark("intake:file");
  busy(app, "upload", t("reading"));
  try {
    state.info = await app.worker.call({ op: "open", file: blob, name, encoding: read.encoding, delimiter: read.delimiter, pasted: read.pasted });
    performance.mark("intake:parsed");
  } catch (err) {
    return fail(app, err instanceof WorkerError ? err.code : "parse_failed");
  }
  if (state.info.sheets.length > 1) return app.go.sheets();
  return app.go.header();
}
