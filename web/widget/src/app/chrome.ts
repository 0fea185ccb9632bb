// What every step draws in and calls: the app's context (configuration,
// worker, the one state object, the translator), the frame (title, step
// bar, close button), and the way to the other steps: a step shows another
// through app.go (filled by main.ts), never by importing it.
import type { ToHost } from "../protocol.ts";
import { isMessageKey, type MessageKey, type T } from "../i18n/i18n.ts";
import { h, mount } from "./dom.ts";
import type { WorkerClient } from "./rpc.ts";
import type { ImportState, ReadOptions } from "./state.ts";
import { stepBar, type StepId } from "./steps.ts";
import type { Session } from "../worker/messages.ts";

/** The importer page's configuration (data-config on the body). */
export interface Config {
  importer: {
    key: string;
    name: string;
    template: unknown;
    mode: string;
    allowInvalid: boolean;
    maxRows: number;
    maxFileBytes: number;
    theme?: Record<string, string>;
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
  const key = `err_${code}`;
  const text = app.t(isMessageKey(key) ? key : "err_parse_failed", vars);
  app.go.upload(text);
  toHost(app, { type: "intake:error", channel: app.config.channel ?? "", code, message: text });
}

/** Draws a step: title, step bar (only the steps that apply), body and footer. */
export function frame(app: App, step: StepId, body: HTMLElement, footer?: HTMLElement): void {
  const { config, t } = app;
  const close = config.hostOrigin
    ? h("button", { class: "icon", type: "button", "aria-label": t("close"), onclick: () => toHost(app, { type: "intake:close", channel: config.channel ?? "" }) }, "×")
    : null;
  const bar = stepBar(step === "upload" ? null : app.state.info, step);
  mount(
    app.root,
    h("header", { class: "top" }, h("h1", { id: "title" }, config.importer.name), close),
    // Only the steps that apply: a CSV has no sheet step to show as done.
    h("ol", { class: "steps", "aria-label": t("steps"), "data-testid": "steps" }, ...bar.map((s) => h("li", { class: s.state === "future" ? "" : s.state, "data-step": s.id, "aria-current": s.state === "current" ? "step" : null }, t(`step_${s.id}` as MessageKey)))),
    h("section", { class: "body", "aria-labelledby": "title" }, body),
    footer ? h("footer", { class: "actions" }, footer) : null,
  );
  const first = body.querySelector<HTMLElement>("[autofocus], button, input, select, [tabindex='0']");
  first?.focus();
}

/** A step's busy screen: a spinner and what is being done. */
export function busy(app: App, step: StepId, text: string): void {
  frame(app, step, h("div", { class: "busy", role: "status", "aria-live": "polite" }, h("div", { class: "spinner", "aria-hidden": "true" }), text));
}
