// Step 7: what the server says it stored.
import { frame, toHost, type App } from "./chrome.ts";
import { h } from "./dom.ts";

export function showDone(app: App, rows: number, withErrors: number): void {
  const { config, t } = app;
  const close = config.hostOrigin ? h("button", { type: "button", class: "primary", onclick: () => toHost(app, { type: "intake:close", channel: config.channel ?? "" }) }, t("close")) : null;
  frame(
    app,
    "done",
    h("div", { class: "done", "data-testid": "done" }, h("h2", {}, t("done_title")), h("p", {}, t("done_rows", { rows })), withErrors ? h("p", {}, t("done_errors", { rows: withErrors })) : null),
    close ? h("div", {}, close) : undefined,
  );
}
