// The import log in sentences: each event's JSON (kept one click away, in
// its <details>) is told in words in the summary. Without this script the
// summary names the event's kind. Events hold counts and ids, never a value.
(function () {
  "use strict";
  var number = new Intl.NumberFormat("en");
  function n(v) { return number.format(v || 0); }
  function rows(v) { return n(v) + (v === 1 ? " row" : " rows"); }
  function plural(v, one, many) { return n(v) + " " + (v === 1 ? one : many); }
  function bytes(v) {
    var units = ["B", "KB", "MB", "GB"], u = 0;
    v = v || 0;
    while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return new Intl.NumberFormat("en", { maximumFractionDigits: 1 }).format(v) + " " + units[u];
  }
  var reasons = { invalid_rows: "rows failed validation", expired: "retention period ended", requested: "deleted on request", org_wide: "all data deleted", importer_deleted: "importer deleted" };
  function reason(r) { return reasons[r] || r || "no reason given"; }
  var sentences = {
    "import.created": function (e) { return "Upload opened: " + rows(e.expected_rows) + " expected in " + plural(e.columns, "column", "columns") + ", " + (e.format || "").toUpperCase() + ", " + bytes(e.source_bytes) + ", " + e.mode + " mode."; },
    "chunk.stored": function (e) { return "Chunk " + n(e.chunk) + " stored: " + rows(e.rows) + ", " + n(e.rows_with_errors) + " with errors" + (e.rows_skipped ? ", " + plural(e.rows_skipped, "blank row", "blank rows") + " skipped" : "") + "."; },
    "chunk.refused": function (e) { return "Chunk " + n(e.chunk) + " refused: " + plural(e.rows_with_errors, "row has", "rows have") + " errors (" + reason(e.reason) + ")."; },
    "import.completed": function (e) { return "Import completed: " + rows(e.rows) + " in " + plural(e.chunks, "chunk", "chunks") + ", " + n(e.rows_with_errors) + " with errors, " + plural(e.rows_skipped, "blank row", "blank rows") + " skipped."; },
    "import.failed": function (e) { return "Import failed: " + reason(e.reason) + "."; },
    "delivery.succeeded": function (e) { return "Delivered to destination " + e.destination_id + ": " + rows(e.rows) + " in " + plural(e.batches, "batch", "batches") + "."; },
    "delivery.failed": function (e) { return "Delivery to destination " + e.destination_id + " failed after " + plural(e.attempts, "attempt", "attempts") + (e.status_code ? " (HTTP " + e.status_code + ")" : "") + "."; },
    "import.purged": function (e) { return "Rows deleted (" + reason(e.reason) + "): " + plural(e.chunks, "chunk", "chunks") + ", " + bytes(e.bytes_destroyed) + " destroyed; receipt " + String(e.key_sha256 || "").slice(0, 12) + "…"; },
  };
  var items = document.querySelectorAll("#log summary[data-kind]");
  for (var i = 0; i < items.length; i++) {
    var s = items[i], tell = sentences[s.getAttribute("data-kind")];
    if (!tell) continue;
    try { s.textContent = tell(JSON.parse(s.parentNode.querySelector("code").textContent)); } catch (err) { /* the kind stays */ }
  }
})();
