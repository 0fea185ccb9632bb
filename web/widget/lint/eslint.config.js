// Lint rules that find bugs in the widget's TypeScript: typescript-eslint's
// recommended type-checked set (floating promises, unsafe any, misused
// promises…), on the widget's own tsconfig files.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import path from "node:path";
import { fileURLToPath } from "node:url";

const widget = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// The config lives here, beside its packages, but lints the folder above:
// basePath makes the widget's folder the base of every pattern.
export default tseslint.config(
  // bench/ is the Papa Parse baseline page, in no tsconfig: not linted.
  { ignores: ["**/node_modules/**", "**/*.mjs", "lint/**", "build.mjs", "bench/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: [path.join(widget, "tsconfig.json"), path.join(widget, "test/tsconfig.json")],
        tsconfigRootDir: widget,
      },
    },
  },
  {
    // node:test runs the promise test() returns; nothing floats.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-floating-promises": "off" },
  },
).map((c) => ({ ...c, basePath: widget }));
