// Step 2 (workbooks of several sheets only): which sheet to import.
import { busy, fail, frame, type App } from "./chrome.ts";
import { h } from "./dom.ts";
import { WorkerError } from "./rpc.ts";
import { forgetReview } from "./state.ts";

export function showSheets(app: App): void {
  const { state, t } = app;
  const info = state.info!;
  const list = h(
    "div",
    { role: "radiogroup", class: "sheets", "aria-label": t("sheet_title") },
    ...info.sheets.map((name, i) => {
      const radio = h("input", { type: "radio", name: "sheet", value: i, id: `sheet-${i}` });
      radio.checked = i === info.sheet;
      return h("label", { for: `sheet-${i}`, class: "option" }, radio, " ", name);
    }),
  );
  const next = async (): Promise<void> => {
    const picked = Number(list.querySelector<HTMLInputElement>("input:checked")?.value ?? info.sheet);
    if (picked !== info.sheet) {
      busy(app, "sheet", t("reading"));
      try {
        state.info = await app.worker.call({ op: "sheet", index: picked });
        forgetReview(state);
      } catch (err) {
        return fail(app, err instanceof WorkerError ? err.code : "parse_failed");
      }
    }
    await app.go.header();
  };
  frame(app, "sheet", h("div", {}, h("h2", {}, t("sheet_title")), list), h("div", {}, h("button", { type: "button", onclick: () => app.go.upload() }, t("back")), h("button", { type: "button", class: "primary", onclick: () => void next() }, t("next"))));
}
