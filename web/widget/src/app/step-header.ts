// Step 3: which row holds the column names (or none), with the pickers of a
// delimited file and the blank rows the parser dropped.
import { fail, frame, type App } from "./chrome.ts";
import { h } from "./dom.ts";
import { delimiterPicker, encodingPicker } from "./pickers.ts";
import { discardsReview } from "./state.ts";
import { validateAhead } from "./step-match.ts";
import { proposedHeaderRow } from "./steps.ts";

export async function showHeader(app: App): Promise<void> {
  const { config, state, t } = app;
  const info = state.info!;
  if (info.rows === 0) return fail(app, info.sheets.length ? "no_sheets" : "empty_file");
  state.preview = await app.worker.call({ op: "preview", count: 20 });
  const preview = state.preview;
  state.headerRow = state.reviewed ? state.reviewed.headerRow : proposedHeaderRow(preview, state.columns);
  if (info.rows - 1 <= state.headerRow && info.rows <= 1) return fail(app, "header_only");
  const maxRows = config.importer.maxRows;
  if (maxRows && info.rows - 1 > maxRows) return fail(app, "too_many_rows", { rows: info.rows - 1, max: maxRows });
  const width = Math.min(info.width, 30);
  const noHeader = h("input", { type: "checkbox", id: "no-header", "data-testid": "no-header" });
  noHeader.checked = state.headerRow < 0;
  noHeader.addEventListener("change", () => {
    state.headerRow = noHeader.checked ? -1 : Math.max(0, proposedHeaderRow(preview, state.columns));
    render();
  });
  const table = h("table", { class: "preview", role: "grid", "aria-label": t("header_title") });
  const warning = h("p", { class: "warning", role: "status", "aria-live": "polite" });
  const render = (): void => {
    const headerRow = state.headerRow;
    warning.textContent = discardsReview(state, headerRow) ? t("discards_edits") : "";
    table.replaceChildren(
      ...preview.map((row, i) => {
        const tr = h("tr", { class: i === headerRow ? "header-pick" : i < headerRow ? "skipped" : "", tabindex: i === Math.max(0, headerRow) ? 0 : -1, "aria-selected": String(i === headerRow), "data-row": i });
        tr.append(h("th", { scope: "row" }, String(i + 1)), ...Array.from({ length: width }, (_, c) => h("td", {}, row[c] ?? "")));
        tr.addEventListener("click", () => {
          state.headerRow = i;
          noHeader.checked = false;
          render();
        });
        tr.addEventListener("keydown", (e) => {
          const d = e.key === "ArrowDown" ? 1 : e.key === "ArrowUp" ? -1 : 0;
          if (!d) return;
          e.preventDefault();
          state.headerRow = Math.max(0, Math.min(preview.length - 1, state.headerRow + d));
          render();
          table.querySelector<HTMLElement>(`[data-row="${state.headerRow}"]`)?.focus();
        });
        return tr;
      }),
    );
  };
  render();
  validateAhead(app);
  performance.mark("intake:header-shown");
  const encoding = encodingPicker(app, info);
  const delimiter = delimiterPicker(app, info);
  const pickers = encoding || delimiter ? h("p", { class: "pickers" }, encoding, delimiter) : null;
  const blank = info.blankRows > 0 ? h("p", { class: "hint", "data-testid": "blank-rows" }, t("blank_rows", { count: info.blankRows })) : null;
  frame(
    app,
    "header",
    h("div", {}, h("h2", {}, t("header_title")), h("p", { class: "hint" }, t("header_hint")), warning, h("p", {}, h("label", { class: "inline" }, noHeader, t("no_header"))), pickers, blank, h("div", { class: "scroll" }, table)),
    h("div", {}, h("button", { type: "button", onclick: () => app.go.upload() }, t("back")), h("button", { type: "button", class: "primary", "data-testid": "header-next", onclick: () => {
      performance.mark("intake:header-done");
      app.go.mapping();
    } }, t("next"))),
  );
}
