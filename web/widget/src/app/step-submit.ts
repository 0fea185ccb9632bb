// Step 6: the worker uploads the rows; progress, pause and resume (also
// after a reload of the iframe), refusal by the server.
import { announce, fail, frame, toHost, type App } from "./chrome.ts";
import { h } from "./dom.ts";
import { WorkerError } from "./rpc.ts";
import type { Session, UploadResult } from "../worker/messages.ts";

function resumeKey(app: App): string {
  return `intake:resume:${app.config.importer.key}`;
}

/** Identifies "the same rows" well enough to resume an upload after a reload. */
function fingerprint(app: App): string {
  const { state } = app;
  return [state.file?.blob.size ?? 0, state.file?.name ?? "", state.summary.rows, state.columns.map((c) => c.key).join(",")].join("|");
}

/** The upload session saved for these rows, if any. */
export function storedResume(app: App): Session | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(resumeKey(app)) ?? "null") as (Session & { fingerprint: string }) | null;
    if (saved && saved.fingerprint === fingerprint(app)) return { importId: saved.importId, token: saved.token, maxChunkBytes: saved.maxChunkBytes };
  } catch {
    // Storage may be blocked in a third-party iframe; resuming then needs no reload.
  }
  return undefined;
}

/**
 * Keeps the import id and upload token (never rows) for this tab, so that the
 * same file submitted again after a reload of the iframe resumes the upload.
 */
function saveResume(app: App, session: Session): void {
  try {
    sessionStorage.setItem(resumeKey(app), JSON.stringify({ ...session, fingerprint: fingerprint(app) }));
  } catch {
    // Storage blocked in a third-party iframe: the retry button still resumes.
  }
}

export async function send(app: App, resume = storedResume(app)): Promise<void> {
  const { config, state, t, worker } = app;
  const columns = state.columns;
  const bar = h("progress", { max: 1, value: 0, "aria-label": t("step_submit") });
  // Shown at every chunk, said (through the live region) every tenth of the way.
  const status = h("p", { "data-testid": "progress" }, t("sending", { sent: 0, total: state.summary.rows }));
  const cancel = h("button", { type: "button", onclick: () => void worker.call({ op: "cancel" }) }, t("cancel"));
  frame(app, "submit", h("div", { class: "sending" }, bar, status), h("div", {}, cancel));
  let said = -1;
  worker.onProgress = (p) => {
    if (p.session) saveResume(app, p.session);
    bar.max = Math.max(1, p.rowsTotal);
    bar.value = p.rowsSent;
    status.textContent = p.retrying ? t("retrying") : t("sending", { sent: p.rowsSent, total: p.rowsTotal });
    const tenth = Math.floor((p.rowsSent / Math.max(1, p.rowsTotal)) * 10);
    if (p.retrying) announce(t("retrying"));
    else if (tenth !== said) {
      said = tenth;
      announce(status.textContent);
    }
  };
  const clientMode = config.importer.mode === "client";
  const recipients = config.importer.mode === "e2e" ? config.importer.recipients ?? [] : undefined;
  let result: UploadResult;
  state.sending = true;
  try {
    result = await worker.call({
      op: "upload",
      request: { importer: config.importer.key, columns: columns.map((c) => c.key), user: state.options.user, metadata: state.options.metadata, identity: state.options.identity, clientMode, recipients, resume },
    });
  } catch (err) {
    return fail(app, err instanceof WorkerError ? err.code : "network");
  } finally {
    state.sending = false;
  }
  const channel = config.channel ?? "";
  switch (result.status) {
    case "completed":
      // Only the import id and token are kept, never rows: enough to resume
      // after a reload of the iframe, useless once the import completed.
      try {
        sessionStorage.removeItem(resumeKey(app));
      } catch {
        // Storage blocked: nothing was saved either.
      }
      if (result.clientRows) toHost(app, { type: "intake:data", channel, data: { importId: result.importId, columns: columns.map((c) => c.key), rows: result.clientRows } });
      toHost(app, { type: "intake:complete", channel, summary: { importId: result.importId, rows: result.rows, rowsWithErrors: result.rowsWithErrors } });
      // The server's count of the rows it stored, not ours of those sent.
      state.completed = true;
      app.go.done(result.rows, result.rowsWithErrors);
      announce(`${t("done_rows", { rows: result.rows })}${result.rowsWithErrors ? ` ${t("done_errors", { rows: result.rowsWithErrors })}` : ""}`);
      return;
    case "paused": {
      saveResume(app, result.session);
      const again = h("button", { type: "button", class: "primary", "data-testid": "resume", onclick: () => void app.go.send(result.session) }, t("retry"));
      frame(app, "submit", h("div", { class: "sending" }, bar, h("p", { class: "warning", role: "alert" }, t("paused"))), h("div", {}, again));
      return;
    }
    case "refused":
      state.summary = await worker.call({ op: "summary" });
      return app.go.review(t("refused"));
    case "cancelled":
      return app.go.review();
    case "failed":
      app.go.review(t("err_server", { code: result.code }));
      toHost(app, { type: "intake:error", channel, code: result.code, message: t("err_server", { code: result.code }) });
      return;
  }
}
