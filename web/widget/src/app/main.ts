// The importer app inside the iframe (/embed/{importer}) or the hosted page
// (/i/{importer}): steps upload → sheet → header row → match → review →
// submit → done, one module each (step-*.ts) around one state object
// (state.ts). Rows stay in the worker; this thread renders. This file
// boots: it reads the configuration, waits for the host's options, checks
// the template and wires the steps together.
import type { ToFrame } from "../protocol.ts";
import { pickLocale, translator } from "../i18n/i18n.ts";
import { fail, requestClose, toHost, trapTab, type App, type Config } from "./chrome.ts";
import { WorkerClient } from "./rpc.ts";
import { newState } from "./state.ts";
import { listenForPaste, openFile, showUpload } from "./step-upload.ts";
import { showSheets } from "./step-sheet.ts";
import { showHeader } from "./step-header.ts";
import { showMapping, validate } from "./step-match.ts";
import { showReview } from "./step-review.ts";
import { send } from "./step-submit.ts";
import { showDone } from "./step-done.ts";
import { applyTheme } from "./theme.ts";

const config = JSON.parse(document.body.dataset.config ?? "{}") as Config;
const locale = pickLocale(undefined, navigator.languages);
const app: App = {
  config,
  worker: new WorkerClient(config.assets.worker),
  root: document.getElementById("app")!,
  state: newState(locale),
  t: translator(locale),
  go: {
    upload: (error) => showUpload(app, error),
    open: (blob, name, read) => openFile(app, blob, name, read),
    sheets: () => showSheets(app),
    header: () => showHeader(app),
    mapping: () => showMapping(app),
    validate: () => validate(app),
    review: (notice) => showReview(app, notice),
    send: (resume) => send(app, resume),
    done: (rows, withErrors) => showDone(app, rows, withErrors),
  },
};

async function start(): Promise<void> {
  const { state } = app;
  applyTheme(document.documentElement, { ...(config.importer.theme ?? {}), ...(state.options.theme ?? {}) });
  state.locale = pickLocale(state.options.locale, navigator.languages);
  app.t = translator(state.locale);
  document.documentElement.lang = state.locale;
  try {
    state.columns = await app.worker.call({ op: "configure", template: config.importer.template, locale: state.locale, xlsURL: config.assets.xls });
  } catch {
    fail(app, "no_template");
    return;
  }
  showUpload(app);
}

listenForPaste(app);

document.addEventListener("keydown", (e) => {
  if (!config.hostOrigin) return;
  // Embedded, the importer is a modal dialog: Tab stays in it, Escape closes it (asking first when that loses something).
  trapTab(e);
  if (e.key === "Escape" && !e.defaultPrevented && !document.querySelector("dialog[open]") && !(e.target as HTMLElement).closest("input")) {
    // The same key press must not cancel the dialog that asks first.
    e.preventDefault();
    requestClose(app);
  }
});

if (config.hostOrigin && window.parent !== window) {
  window.addEventListener("message", (event: MessageEvent<ToFrame>) => {
    if (event.origin !== config.hostOrigin || event.source !== window.parent) return;
    const m = event.data;
    if (!m || m.type !== "intake:init" || m.channel !== config.channel) return;
    app.state.options = m.options ?? {};
    void start();
  });
  toHost(app, { type: "intake:ready", channel: config.channel ?? "" });
} else void start();
