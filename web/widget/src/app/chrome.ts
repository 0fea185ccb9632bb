// What every step draws in and calls: the app's context (configuration,
// worker, the one state object, the translator), the frame (title, step
// bar, close button), and the way to the other steps: a step shows another
// through app.go (filled by main.ts), never by importing it.
import type { ToHost } from "../protocol.ts";
import { formatBytes, isMessageKey, type MessageKey, type T } from "../i18n/i18n.ts";
import { h, mount } from "./dom.ts";
import type { WorkerClient } from "./rpc.ts";
import type { ImportState, ReadOptions } from "./state.ts";
import { stepBar, type StepId } from "./steps.ts";
import type { Session } from "../worker/messages.ts";
import type { HashedPair } from "./learned.ts";

/** The importer page's configuration (data-config on the body). */
export interface Config {
  importer: {
    key: string;
    name: string;
    template: unknown;
    mode: string;
    /** An e2e importer's age public keys: chunks are encrypted to them in the worker. */
    recipients?: string[];
    allowInvalid: boolean;
    maxRows: number;
    maxFileBytes: number;
    theme?: Record<string, string>;
    /** The importer learns mappings: the user's changes to the proposal go with the completion. */
    learn?: boolean;
    /** The importer's learned mappings, headers as keyed hashes (learned.ts), proposed first. */
    learned?: HashedPair[];
  };
  hostOrigin?: string;
  channel?: string;
  assets: { worker: string; xls?: string };
}

/** The steps as the others reach them. */
export interface Steps {
  upload(error?: string): void;
  open(blob: Blob, name: string, read?: ReadOptions): Promise<void>;
  sheets(): void;
  header(): Promise<void>;
  mapping(): void;
  validate(): Promise<void>;
  review(notice?: string): void;
  send(resume?: Session): Promise<void>;
  done(rows: number, withErrors: number): void;
}

/** The app's context, passed to every step. */
export interface App {
  readonly config: Config;
  readonly worker: WorkerClient;
  readonly root: HTMLElement;
  readonly state: ImportState;
  /** The translator of state.locale (set again once the host's options are in). */
  t: T;
  go: Steps;
}

/** Posts a message to the host page (embedded only). */
export function toHost(app: App, message: ToHost): void {
  const { config } = app;
  if (config.hostOrigin && window.parent !== window) window.parent.postMessage(message, config.hostOrigin);
}

/** Shows the error of code on the upload step and tells the host (its message holds no cell value). */
export function fail(app: App, code: string, vars: Record<string, string | number> = {}): void {
  // "too_large" names the importer's size limit: fill it whoever reports it,
  // and with no limit to name say that the data is too much instead.
  if (code === "too_large" && vars.size === undefined) {
    const max = app.config.importer.maxFileBytes;
    if (max) vars = { ...vars, size: formatBytes(max, app.state.locale) };
    else code = "too_much_data";
  }
  const key = `err_${code}`;
  const text = app.t(isMessageKey(key) ? key : "err_parse_failed", vars);
  app.go.upload(text);
  toHost(app, { type: "intake:error", channel: app.config.channel ?? "", code, message: text });
}

/**
 * The app's polite live region, outside the steps' markup (which each step
 * replaces): step changes, progress and results are said here, once each.
 */
export function announce(text: string, step = false): void {
  let region = document.getElementById("intake-live");
  if (!region) {
    region = h("div", { id: "intake-live", class: "visually-hidden", role: "status", "aria-live": "polite", "aria-atomic": "true", "data-testid": "live" });
    document.body.append(region);
  }
  // The same text again must still be read: clear, then set a moment
  // later; what is said meanwhile is said together, but of two steps
  // shown meanwhile only the last (the user is there now).
  if (step) pending = pending.filter((p) => !p.step);
  pending.push({ text, step });
  if (speaking) return;
  speaking = true;
  region.textContent = "";
  const target = region;
  setTimeout(() => {
    target.textContent = pending.map((p) => p.text).join(" ");
    pending = [];
    speaking = false;
  }, 50);
}

let pending: { text: string; step: boolean }[] = [];
let speaking = false;

let shownStep: StepId | null = null;

/** Draws a step: title, step bar (only the steps that apply), body and footer. */
export function frame(app: App, step: StepId, body: HTMLElement, footer?: HTMLElement): void {
  const { config, t } = app;
  const close = config.hostOrigin ? h("button", { class: "icon", type: "button", "aria-label": t("close"), "data-testid": "close", onclick: () => requestClose(app) }, "×") : null;
  const bar = stepBar(step === "upload" ? null : app.state.info, step);
  mount(
    app.root,
    h("header", { class: "top" }, h("h1", { id: "title" }, config.importer.name), close),
    // Only the steps that apply: a CSV has no sheet step to show as done.
    h("ol", { class: "steps", "aria-label": t("steps"), "data-testid": "steps" }, ...bar.map((s) => h("li", { class: s.state === "future" ? "" : s.state, "data-step": s.id, "aria-current": s.state === "current" ? "step" : null }, t(`step_${s.id}` as MessageKey)))),
    h("section", { class: "body", "aria-labelledby": "title" }, body),
    footer ? h("footer", { class: "actions" }, footer) : null,
  );
  if (step !== shownStep) {
    shownStep = step;
    const at = bar.findIndex((s) => s.id === step);
    announce(t("step_of", { n: at + 1, total: bar.length, name: t(`step_${step}` as MessageKey) }), true);
  }
  // Focus moves to the step: its first control, else its heading.
  const first = body.querySelector<HTMLElement>("[autofocus], button:not([disabled]), input:not([disabled]):not([tabindex='-1']), select, summary, [tabindex='0']");
  const heading = body.querySelector<HTMLElement>("h2");
  if (first) first.focus();
  else if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

/**
 * Why closing now would lose something (rows being sent, edits made in
 * review), as the message to ask with; null when closing loses nothing.
 */
export function closeLoses(state: ImportState): MessageKey | null {
  if (state.sending) return "confirm_close_sending";
  if (state.summary.modified && !state.completed) return "confirm_close_edits";
  return null;
}

/**
 * Closes the importer (tells the host), first asking in a modal dialog
 * when rows are being sent or edits would be lost.
 */
export function requestClose(app: App): void {
  const { config, t } = app;
  const closeNow = (): void => {
    if (app.state.sending) void app.worker.call({ op: "cancel" });
    toHost(app, { type: "intake:close", channel: config.channel ?? "" });
  };
  const loses = closeLoses(app.state);
  if (!loses) return closeNow();
  if (document.querySelector("dialog[open]")) return;
  const opener = document.activeElement as HTMLElement | null;
  const dialog = h("dialog", { class: "confirm", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-text", "data-testid": "confirm-close" });
  const keep = h("button", { type: "button", class: "primary", autofocus: true, "data-testid": "keep-importing", onclick: () => dialog.close() }, t("keep_importing"));
  const leave = h("button", { type: "button", "data-testid": "close-anyway", onclick: () => {
    dialog.close();
    closeNow();
  } }, t("close_anyway"));
  dialog.append(h("h2", { id: "confirm-title" }, t("confirm_close")), h("p", { id: "confirm-text" }, t(loses)), h("div", { class: "confirm-actions" }, keep, leave));
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  keep.focus();
}

/**
 * Keeps Tab inside the importer while it is a modal dialog on the host page
 * (embedded): from the last control to the first and back, as the host's
 * overlay keeps focus on the iframe. An open confirmation dialog is the
 * whole of it while open.
 */
export function trapTab(e: KeyboardEvent): void {
  if (e.key !== "Tab" || e.altKey || e.ctrlKey || e.metaKey) return;
  const scope: ParentNode = document.querySelector("dialog[open]") ?? document;
  const focusable = [...scope.querySelectorAll<HTMLElement>("button, input, select, textarea, summary, a[href], [tabindex]")].filter(
    (el) => el.tabIndex >= 0 && !(el as HTMLButtonElement).disabled && el.getClientRects().length > 0 && !el.closest("[hidden], details:not([open]) > :not(summary)"),
  );
  if (focusable.length === 0) return;
  const first = focusable[0]!;
  const last = focusable[focusable.length - 1]!;
  const active = document.activeElement;
  if (e.shiftKey ? active === first || !scope.contains(active) : active === last) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  }
}

/** A step's busy screen: a spinner and what is being done. */
export function busy(app: App, step: StepId, text: string): void {
  frame(app, step, h("div", { class: "busy", role: "status", "aria-live": "polite" }, h("div", { class: "spinner", "aria-hidden": "true" }), text));
}
