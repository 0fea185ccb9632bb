// Theming through CSS variables. An importer's theme and Intake.open's theme
// are plain objects of a few known keys; nothing else is applied, and values
// are set through the CSSOM (allowed by the page's CSP, unlike style markup).

const VARIABLES: Record<string, string> = {
  accent: "--intake-accent",
  background: "--intake-bg",
  text: "--intake-fg",
  muted: "--intake-muted",
  border: "--intake-border",
  error: "--intake-error",
  font: "--intake-font",
  radius: "--intake-radius",
};

/** Applies a theme: {mode: "light"|"dark", accent, background, text, font, …}. */
export function applyTheme(root: HTMLElement, theme: Record<string, unknown>): void {
  if (theme.mode === "dark" || theme.mode === "light") root.dataset.theme = theme.mode;
  for (const [key, variable] of Object.entries(VARIABLES)) {
    const value = theme[key];
    // A value can neither close the declaration nor load anything (url()).
    if (typeof value === "string" && value.length < 200 && !/[;{}\\]|url\s*\(/i.test(value)) root.style.setProperty(variable, value);
  }
}
