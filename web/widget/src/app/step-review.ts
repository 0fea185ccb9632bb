// Step 5: review and fix. The grid shows the worker's rows a window at a
// time; counts, the guard against importing nothing, the reason submit is
// refused and the focused cell's error are text on the page.
import { Grid } from "../grid/grid.ts";
import type { Fix } from "../worker/messages.ts";
import { announce, frame, type App } from "./chrome.ts";
import { h } from "./dom.ts";
import { WorkerError } from "./rpc.ts";
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
    findError: (pos, col, direction) => worker.call({ op: "findError", pos, col, direction, errorsOnly }),
    labels: { row: t("row"), select: t("select_row"), edit: t("edit_cell"), resize: t("resize_column") },
    describe: (row, column, message) => t("cell_error", { row, column, message }),
  });
  grid.element.setAttribute("aria-describedby", "grid-keys");
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
  const deleteRows = async (rows: number[]): Promise<void> => {
    state.summary = await worker.call({ op: "delete", rows });
    grid.selected.clear();
    changed(t("review_rows", { rows: state.summary.rows }));
  };
  const deleteSelected = (): Promise<void> => deleteRows([...grid.selected]);
  /** After a change of rows: counts, the errors panel and the rows on screen again, and the result said. */
  const changed = (result: string): void => {
    update();
    grid.refresh();
    void refreshGroups();
    announce(`${result} ${state.summary.rowsWithErrors ? t("review_errors", { rows: state.summary.rowsWithErrors }) : t("review_no_errors")}`);
  };
  // Undo and redo: buttons, Ctrl+Z and Ctrl+Shift+Z (or Ctrl+Y).
  const history = async (op: "undo" | "redo"): Promise<void> => {
    let r;
    try {
      r = await worker.call({ op });
    } catch {
      // Rows are still being checked (after an undone deletion): the buttons say so.
      return announce(t("err_still_checking"));
    }
    state.summary = r.summary;
    if (r.done) changed(t(op === "undo" ? "undone" : "redone"));
    else update();
  };
  const undo = h("button", { type: "button", "data-testid": "undo", "aria-keyshortcuts": "Control+Z", onclick: () => void history("undo") }, t("undo"));
  const redo = h("button", { type: "button", "data-testid": "redo", "aria-keyshortcuts": "Control+Shift+Z", onclick: () => void history("redo") }, t("redo"));
  const goError = async (direction: 1 | -1): Promise<void> => {
    if (!(await grid.nextError(direction))) announce(t("no_errors_to_go"));
  };
  const prevError = h("button", { type: "button", "data-testid": "prev-error", "aria-keyshortcuts": "Shift+F8", onclick: () => void goError(-1) }, t("prev_error"));
  const nextError = h("button", { type: "button", "data-testid": "next-error", "aria-keyshortcuts": "F8", onclick: () => void goError(1) }, t("next_error"));
  const onKeys = (e: KeyboardEvent): void => {
    if (!review.isConnected) {
      document.removeEventListener("keydown", onKeys);
      return;
    }
    const target = e.target as HTMLElement;
    // Text fields keep their own undo.
    if (target.closest("input:not([type=checkbox]), select, textarea")) return;
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (key === "z" || key === "y")) {
      e.preventDefault();
      void history(key === "y" || e.shiftKey ? "redo" : "undo");
    } else if (e.key === "F8" && !grid.element.contains(target)) {
      e.preventDefault();
      void goError(e.shiftKey ? -1 : 1);
    }
  };
  document.addEventListener("keydown", onKeys);

  // The errors panel: one line per column and rule, with its rows, and what can be done with them.
  const groupsList = h("ul", { class: "groups", "data-testid": "error-groups" });
  const groupsPanel = h("details", { class: "panel", "data-testid": "errors-panel" }, h("summary", {}, t("errors_panel")), groupsList);
  const refreshGroups = async (): Promise<void> => {
    if (state.summary.checked < state.summary.rows) return;
    const groups = await worker.call({ op: "errorGroups" });
    groupsPanel.hidden = groups.length === 0;
    groupsList.replaceChildren(
      ...groups.map((g) => {
        const label = columns[g.column]?.label ?? "";
        const text = t("error_group", { column: label, message: g.message, rows: g.rows });
        const rowsOf = (): Promise<number[]> => worker.call({ op: "groupRows", column: g.column, message: g.message });
        const button = (key: "group_go" | "group_select" | "group_delete" | "group_fix", testid: string, run: () => Promise<void>) =>
          h("button", { type: "button", "data-testid": testid, "aria-label": `${t(key)}: ${text}`, onclick: () => void run() }, t(key));
        return h(
          "li",
          { "data-column": g.column },
          h("span", { class: "group-text" }, text),
          button("group_go", "group-go", async () => {
            const rows = await rowsOf();
            if (rows.length === 0) return;
            if (errorsOnly) {
              const all = await worker.call({ op: "errorRows" });
              grid.goTo(all.indexOf(rows[0]!), g.column);
            } else grid.goTo(rows[0]!, g.column);
          }),
          button("group_select", "group-select", async () => grid.select(await rowsOf())),
          button("group_delete", "group-delete", async () => deleteRows(await rowsOf())),
          button("group_fix", "group-fix", async () => {
            grid.select(await rowsOf());
            fixColumn.value = String(g.column);
            fixScope.value = "selected";
            fixPanel.open = true;
            fixAction.focus();
          }),
        );
      }),
    );
  };

  // Quick fixes of a column, run by the worker over every row (or the selected ones).
  const fixColumn = h("select", { id: "fix-column", "data-testid": "fix-column" }, ...columns.map((c, i) => h("option", { value: i }, c.label)));
  const fixAction = h(
    "select",
    { id: "fix-action", "data-testid": "fix-action" },
    h("option", { value: "trim" }, t("fix_trim")),
    h("option", { value: "upper" }, t("fix_upper")),
    h("option", { value: "lower" }, t("fix_lower")),
    h("option", { value: "title" }, t("fix_title")),
    h("option", { value: "replace" }, t("fix_replace")),
    h("option", { value: "fill" }, t("fix_fill")),
  );
  const fixFind = h("input", { id: "fix-find", "data-testid": "fix-find" });
  const fixRegex = h("input", { type: "checkbox", id: "fix-regex", "data-testid": "fix-regex" });
  const fixValue = h("input", { id: "fix-value", "data-testid": "fix-value" });
  const fixScope = h("select", { id: "fix-scope", "data-testid": "fix-scope" }, h("option", { value: "all" }, t("scope_all")), h("option", { value: "selected" }, t("scope_selected")));
  const findField = h("span", { class: "inline" }, h("label", { for: "fix-find" }, t("fix_find")), fixFind, h("label", { class: "inline" }, fixRegex, t("fix_regex")));
  const valueField = h("span", { class: "inline" }, h("label", { for: "fix-value" }, t("fix_value")), fixValue);
  const showFields = (): void => {
    findField.hidden = fixAction.value !== "replace";
    valueField.hidden = fixAction.value !== "replace" && fixAction.value !== "fill";
  };
  fixAction.addEventListener("change", showFields);
  showFields();
  const fixResult = h("span", { class: "hint", "data-testid": "fix-result" });
  const applyFix = async (): Promise<void> => {
    const action = fixAction.value;
    const fix: Fix =
      action === "trim" ? { kind: "trim" }
      : action === "replace" ? { kind: "replace", find: fixFind.value, replace: fixValue.value, regex: fixRegex.checked }
      : action === "fill" ? { kind: "fill", value: fixValue.value }
      : { kind: "case", to: action === "upper" ? "upper" : action === "lower" ? "lower" : "title" };
    try {
      const r = await worker.call({ op: "fix", column: Number(fixColumn.value), fix, rows: fixScope.value === "selected" ? [...grid.selected] : undefined });
      state.summary = r.summary;
      fixResult.textContent = t("fixed", { count: r.replaced });
      changed(fixResult.textContent);
    } catch (err) {
      fixResult.textContent = err instanceof WorkerError && err.code === "bad_pattern" ? t("err_bad_pattern") : t("err_still_checking");
      announce(fixResult.textContent);
    }
  };
  const applyButton = h("button", { type: "button", "data-testid": "apply-fix", onclick: () => void applyFix() }, t("apply_fix"));
  const fixPanel = h(
    "details",
    { class: "panel", "data-testid": "fix-panel" },
    h("summary", {}, t("quick_fix")),
    h(
      "div",
      { class: "tools" },
      h("label", { for: "fix-column" }, t("fix_column")), fixColumn,
      h("label", { for: "fix-action" }, t("fix_action")), fixAction,
      findField, valueField,
      h("label", { for: "fix-scope" }, t("fix_scope")), fixScope,
      applyButton, fixResult,
    ),
  );
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
    undo.disabled = checking || !summary.undo;
    redo.disabled = checking || !summary.redo;
    prevError.disabled = nextError.disabled = checking || summary.rowsWithErrors === 0;
    applyButton.disabled = checking;
  };
  worker.onValidation = (s) => {
    const before = state.summary.checked;
    state.summary = s;
    update();
    grid.checked(before, s.checked);
    if (s.checked === s.rows) {
      performance.mark("intake:checked");
      void refreshGroups();
    }
  };
  grid.onSelect = update;
  grid.onEdited = () => {
    update();
    void refreshGroups();
  };
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
    changed(replaced.textContent);
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
  const history_ = h("div", { class: "tools" }, prevError, nextError, undo, redo);
  const keys = h("p", { class: "hint visually-hidden", id: "grid-keys" }, t("grid_keys"));
  const review = h("div", { class: "review" }, notice ? h("p", { class: "warning", role: "alert" }, notice) : null, counts, guard, tools, history_, groupsPanel, fixPanel, keys, grid.element, cellStatus);
  groupsPanel.hidden = true;
  update();
  frame(
    app,
    "review",
    review,
    h("div", {}, h("button", { type: "button", "data-testid": "review-back", onclick: () => app.go.mapping() }, t("back")), submitHint, submit),
  );
  grid.reset();
  // Validation may have finished before the review was shown.
  void refreshGroups();
}
