// embed.js: the only code that runs on the host page. It opens the importer in
// a modal iframe served from Intake's own origin, so neither side's CSS or
// framework can leak into the other, and talks to it with postMessage, checking
// origin, source window and channel on every message.
import type { ClientData, CompleteSummary, OpenOptions, ToFrame, ToHost } from "../protocol.ts";

interface IntakeOpenOptions extends OpenOptions {
  importer: string;
  onComplete?: (summary: CompleteSummary) => void;
  onData?: (data: ClientData) => void;
  onClose?: () => void;
  onError?: (error: { code: string; message: string }) => void;
}

interface IntakeHandle {
  close(): void;
}

const script = document.currentScript as HTMLScriptElement | null;
// The iframe must come from the server that served this script, whatever
// page includes it.
const intakeOrigin = script ? new URL(script.src).origin : location.origin;

function randomChannel(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// setStyle styles an element through the CSSOM, never a style attribute: a
// host page whose CSP says style-src 'self' (no 'unsafe-inline') blocks
// setAttribute("style", …) and inline <style>, but not element.style, so
// the importer keeps its size on the strictest host.
function setStyle(el: HTMLElement, style: Partial<Pick<CSSStyleDeclaration, "position" | "inset" | "zIndex" | "background" |
  "display" | "alignItems" | "justifyContent" | "width" | "height" | "border" | "borderRadius" | "boxShadow" | "top" |
  "right" | "font" | "cursor">>): void {
  Object.assign(el.style, style);
}

function open(options: IntakeOpenOptions): IntakeHandle {
  if (!options || typeof options.importer !== "string" || !/^imp_[A-Za-z0-9_-]+$/.test(options.importer)) {
    throw new TypeError("Intake.open: importer must be an importer key like imp_…");
  }
  const channel = randomChannel();
  const overlay = document.createElement("div");
  overlay.setAttribute("role", "dialog");
  overlay.setAttribute("aria-modal", "true");
  overlay.setAttribute("aria-label", "Import");
  setStyle(overlay, {
    position: "fixed", inset: "0", zIndex: "2147483647", background: "rgba(15,23,42,.55)",
    display: "flex", alignItems: "center", justifyContent: "center",
  });
  const frame = document.createElement("iframe");
  const src = new URL("/embed/" + encodeURIComponent(options.importer), intakeOrigin);
  src.searchParams.set("origin", location.origin);
  src.searchParams.set("channel", channel);
  frame.src = src.href;
  frame.title = "Intake importer";
  frame.setAttribute("allow", "clipboard-read; clipboard-write");
  setStyle(frame, {
    width: "min(1100px,96vw)", height: "min(760px,94vh)", border: "0", borderRadius: "12px",
    background: "#fff", boxShadow: "0 20px 60px rgba(0,0,0,.35)",
  });
  overlay.appendChild(frame);
  const previousFocus = document.activeElement as HTMLElement | null;
  let closed = false;
  let ready = false;
  // An importer page that never says "ready" (unknown key, a site not in
  // allowed_origins, Intake unreachable) shows its own message; the host is
  // told, and the user gets a way out of the modal.
  frame.addEventListener("load", () => {
    setTimeout(() => {
      if (ready || closed) return;
      options.onError?.({ code: "unavailable", message: "The importer could not be opened." });
      const button = document.createElement("button");
      button.textContent = "×";
      button.setAttribute("aria-label", "Close");
      setStyle(button, {
        position: "absolute", top: "12px", right: "16px", font: "28px/1 system-ui", background: "#fff",
        border: "0", borderRadius: "50%", width: "40px", height: "40px", cursor: "pointer",
      });
      button.addEventListener("click", close);
      overlay.appendChild(button);
      button.focus();
    }, 3000);
  });

  function send(message: ToFrame): void {
    frame.contentWindow?.postMessage(message, intakeOrigin);
  }

  // Focus stays in the importer while it is open (a modal dialog).
  function trapFocus(event: FocusEvent): void {
    if (!overlay.contains(event.target as Node)) frame.focus();
  }

  function close(): void {
    if (closed) return;
    closed = true;
    window.removeEventListener("message", onMessage);
    document.removeEventListener("focusin", trapFocus);
    overlay.remove();
    previousFocus?.focus?.();
    options.onClose?.();
  }

  function onMessage(event: MessageEvent): void {
    if (event.origin !== intakeOrigin || event.source !== frame.contentWindow) return;
    const message = event.data as ToHost;
    if (!message || typeof message !== "object" || message.channel !== channel) return;
    switch (message.type) {
      case "intake:ready":
        ready = true;
        send({
          type: "intake:init",
          channel,
          options: { user: options.user, metadata: options.metadata, identity: options.identity, locale: options.locale, theme: options.theme },
        });
        frame.focus();
        break;
      case "intake:complete":
        options.onComplete?.(message.summary);
        break;
      case "intake:data":
        options.onData?.(message.data);
        break;
      case "intake:error":
        options.onError?.({ code: message.code, message: message.message });
        break;
      case "intake:close":
        close();
        break;
    }
  }

  window.addEventListener("message", onMessage);
  document.addEventListener("focusin", trapFocus);
  document.body.appendChild(overlay);
  return { close };
}

(window as unknown as { Intake: { open: typeof open } }).Intake = { open };
