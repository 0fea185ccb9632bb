// The shared country and currency tables are imported as JSON and bundled by
// esbuild; the engine checks their shape where it reads them.
declare module "*.json" {
  const value: unknown;
  export default value;
}
