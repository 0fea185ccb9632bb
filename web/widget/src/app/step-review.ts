// Step 5: review and fix. The grid shows the worker's rows a window at a
// time; counts, the guard against importing nothing, the reason submit is
// refused and the focused cell's error are text on the page.
import { Grid } from "../grid/grid.ts";
import { frame, type App } from "./chrome.ts";
import { h } from "./dom.ts";
import { delimiterPicker } from "./pickers.ts";
import { nothingToImport, offersDelimiter, submitState } from "./steps.ts";

export function showReview(app: App, notice?: string): void {
  const { config, state, t, worker } = app;
  const columns = state.columns;
  const mapping = state.mapping;
  // The separator hint only where there is a separator to pick.
  const delimited = offersDelimiter(state.info);
  let errorsOnly = false;
  const grid = new Grid({
    columns,
    fetch: (start, count) => worker.call({ op: "window", start, count, errorsOnly }),
    edit: async (row, column, value) => {
      const r = await worker.call({ op: "edit", row, column, value });
      state.summary = r.summary;
      // Rows that were duplicates of the edited value may have lost their error.
      if (r.rechecked > 0) grid.refresh();
      return r.row;
    },
    labels: { row: t("row"), select: t("select_row"), edit: t("edit_cell") },
    describe: (row, column, message) => t("cell_error", { row, column, message }),
  });
  const counts = h("p", { class: "counts", role: "status", "aria-live": "polite", "data-testid": "counts" });
  // What the file holds when there is nothing to import, and a way out.
  const guard = h("div", { class: "guard", "data-testid": "guard", hidden: true });
  const guardText = h("p", { class: "warning", role: "alert" });
  guard.append(guardText, state.info ? (delimiterPicker(app, state.info) ?? "") : "");
  // The message of the focused or hovered cell, so errors need no mouse.
  const cellStatus = h("p", { class: "cell-status", role: "status", "aria-live": "polite", "data-testid": "cell-status" });
  grid.onStatus = (text) => {
    cellStatus.textContent = text;
  };
  const submit = h("button", { type: "button", class: "primary", "data-testid": "submit", "aria-describedby": "submit-hint", onclick: () => void app.go.send() });
  const submitHint = h("span", { class: "hint", id: "submit-hint", "data-testid": "submit-hint" });
  // Selects every row shown (all, or those with errors under the filter); once all are, clears.
  const shownRows = (): number => (errorsOnly ? state.summary.rowsWithErrors : state.summary.rows);
  const allSelected = (): boolean => grid.selected.size > 0 && grid.selected.size >= shownRows();
  const toggleAll = async (): Promise<void> => {
    if (allSelected()) grid.select([]);
    else grid.select(errorsOnly ? await worker.call({ op: "errorRows" }) : Array.from({ length: state.summary.rows }, (_, i) => i));
  };
  const selectAll = h("button", { type: "button", "data-testid": "select-all", onclick: () => void toggleAll() });
  const selectErrors = h("button", { type: "button", "data-testid": "select-errors", onclick: () => void worker.call({ op: "errorRows" }).then((rows) => grid.select(rows)) }, t("select_errors"));
  const deleteSelected = async (): Promise<void> => {
    state.summary = await worker.call({ op: "delete", rows: [...grid.selected] });
    grid.selected.clear();
    update();
    grid.refresh();
  };
  const del = h("button", { type: "button", "data-testid": "delete", onclick: () => void deleteSelected() });
  const update = (): void => {
    const summary = state.summary;
    const checking = summary.checked < summary.rows;
    const progress = checking ? ` · ${t("checked_pct", { pct: Math.floor((summary.checked / summary.rows) * 100) })}` : "";
    counts.textContent = `${t("review_rows", { rows: summary.rows })} · ${summary.rowsWithErrors ? t("review_errors", { rows: summary.rowsWithErrors }) : t("review_no_errors")}${progress}`;
    grid.setHeader(summary.columnErrors);
    filter.disabled = checking;
    replaceAll.disabled = checking;
    selectAll.disabled = checking || summary.rows === 0;
    selectAll.textContent = allSelected() ? t("select_none") : t("select_all");
    selectErrors.disabled = checking || summary.rowsWithErrors === 0;
    const empty = nothingToImport(summary, mapping, delimited);
    guard.hidden = empty === null;
    guardText.textContent = empty ? t(empty) : "";
    const submittable = submitState(summary, mapping, config.importer.allowInvalid, delimited);
    submit.textContent = submittable.anyway ? t("submit_anyway") : t("submit");
    submit.disabled = submittable.disabled;
    // Shown as text beside the button: a title needs a mouse to be read.
    submitHint.textContent = submittable.reason ? t(submittable.reason) : "";
    del.textContent = t("delete_rows", { count: grid.selected.size });
    del.disabled = checking || grid.selected.size === 0;
  };
  worker.onValidation = (s) => {
    const before = state.summary.checked;
    state.summary = s;
    update();
    grid.checked(before, s.checked);
    if (s.checked === s.rows) performance.mark("intake:checked");
  };
  grid.onSelect = update;
  grid.onEdited = update;
  const filter = h("input", { type: "checkbox", id: "errors-only", "data-testid": "errors-only" });
  filter.addEventListener("change", () => {
    errorsOnly = filter.checked;
    grid.reset();
    update();
  });
  const find = h("input", { id: "find", type: "search" });
  const replacement = h("input", { id: "replace" });
  const column = h("select", { "aria-label": t("in_column") }, h("option", { value: "" }, t("all_columns")), ...columns.map((c, i) => h("option", { value: i }, c.label)));
  const replaced = h("span", { class: "hint", role: "status" });
  const replaceEverywhere = async (): Promise<void> => {
    const r = await worker.call({ op: "replace", find: find.value, replace: replacement.value, column: column.value === "" ? null : Number(column.value) });
    state.summary = r.summary;
    replaced.textContent = t("replaced", { count: r.replaced });
    update();
    grid.refresh();
  };
  const replaceAll = h("button", { type: "button", onclick: () => void replaceEverywhere() }, t("replace_all"));
  const tools = h(
    "div",
    { class: "tools" },
    h("label", { class: "inline" }, filter, " ", t("errors_only")),
    h("label", { for: "find" }, t("find")), find,
    h("label", { for: "replace" }, t("replace_with")), replacement, column, replaceAll, replaced,
    selectAll, selectErrors,
    // Last: the flow tests find the delete button as .tools button:last-child.
    del,
  );
  update();
  frame(
    app,
    "review",
    h("div", { class: "review" }, notice ? h("p", { class: "warning", role: "alert" }, notice) : null, counts, guard, tools, grid.element, cellStatus),
    h("div", {}, h("button", { type: "button", "data-testid": "review-back", onclick: () => app.go.mapping() }, t("back")), submitHint, submit),
  );
  grid.reset();
}
