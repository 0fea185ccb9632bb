// The /demo host page: it loads embed.js like a team's app would and opens the
// demo importer, then shows what the callbacks received.
import { h, mount } from "../app/dom.ts";

interface DemoConfig {
  importer: string;
  loader: string;
}

interface IntakeGlobal {
  open(options: Record<string, unknown>): { close(): void };
}

const config = JSON.parse(document.body.dataset.config ?? "{}") as DemoConfig;
const root = document.getElementById("app")!;
const log = h("pre", { "data-testid": "demo-log", "aria-live": "polite" });

function show(label: string, value: unknown): void {
  log.textContent = `${label}: ${JSON.stringify(value, null, 2)}\n${log.textContent ?? ""}`;
}

// Enabled once embed.js has loaded: a click before then would do nothing.
const button = h("button", { type: "button", class: "primary", "data-testid": "demo-open", disabled: true }, "Import a spreadsheet");
mount(
  root,
  h(
    "div",
    { class: "demo" },
    h("h1", {}, "Intake demo"),
    h("p", {}, "This page plays the part of your web app. It includes ", h("code", {}, "/embed.js"), " and calls ", h("code", {}, "Intake.open({importer: \"" + config.importer + "\"})"), ". Try the sample contacts file or any CSV or XLSX of your own."),
    h("p", {}, button),
    log,
  ),
);

const script = h("script", { src: config.loader });
script.addEventListener("load", () => {
  const intake = (window as unknown as { Intake: IntakeGlobal }).Intake;
  button.disabled = false;
  button.addEventListener("click", () =>
    intake.open({
      importer: config.importer,
      user: { id: "demo-user" },
      metadata: { source: "demo" },
      onComplete: (summary: unknown) => show("onComplete", summary),
      onError: (error: unknown) => show("onError", error),
      onClose: () => show("onClose", null),
    }),
  );
});
document.head.append(script);
