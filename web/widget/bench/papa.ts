// The benchmark's floor: Papa Parse alone, on the main thread, parsing the
// chosen file into rows (what "Papa Parse alone" means in shared/bench).
import Papa from "papaparse";

const input = document.querySelector("input")!;
input.addEventListener("change", () => {
  const file = input.files![0]!;
  const start = performance.now();
  Papa.parse<string[]>(file, {
    complete: (result) => {
      (window as unknown as { papaResult: unknown }).papaResult = { ms: performance.now() - start, rows: result.data.length };
    },
  });
});
