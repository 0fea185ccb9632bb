// Template editor: turns the template JSON textarea into a list of columns
// (key, label, type, required, unique, synonyms, options, pattern, formats)
// that can be added, removed and reordered by drag or with the ↑ ↓ buttons.
// Every change is written back to the textarea at once, which stays visible
// as the live JSON view and is what the form submits; the server checks it.
// Fields the editor does not show are kept as they are in the JSON.
(function () {
  "use strict";
  var area = document.getElementById("template");
  var host = document.getElementById("editor");
  if (!area || !host) return;
  var fs = area.closest("fieldset");
  if (fs && fs.disabled) return;

  var TYPES = ["text", "number", "boolean", "email", "url", "phone", "date", "datetime", "time",
    "enum", "multi_enum", "regex", "ip", "country", "currency"];
  // Options that belong to one type; dropped when the type changes.
  var TYPED = ["min_length", "max_length", "min", "max", "integer", "decimal_separator", "thousands_separator",
    "true_value", "false_value", "default_region", "formats", "excel_serial", "options", "case_sensitive",
    "allow_other", "delimiter", "pattern", "message", "version"];
  var tmpl = null;
  var dragFrom = -1;

  var msg = document.createElement("p");
  msg.className = "msg";
  msg.setAttribute("role", "status");
  var list = document.createElement("ol");
  list.setAttribute("aria-label", "Columns");
  var add = document.createElement("button");
  add.type = "button";
  add.className = "secondary";
  add.id = "add-column";
  add.textContent = "Add column";
  var sample = document.createElement("div");
  sample.className = "sample";
  var sl = document.createElement("label");
  sl.htmlFor = "sample-file";
  sl.textContent = "Or start from a sample CSV file (read in this browser, never uploaded; replaces the columns)";
  var sf = document.createElement("input");
  sf.type = "file";
  sf.id = "sample-file";
  sf.accept = ".csv,.tsv,.txt,text/csv,text/tab-separated-values";
  sample.append(sl, sf);
  host.append(msg, list, add, sample);
  host.hidden = false;

  function parse() {
    try {
      var t = JSON.parse(area.value);
      if (t && typeof t === "object" && Array.isArray(t.columns)) return t;
    } catch (e) { /* shown below */ }
    return null;
  }
  function write() { area.value = JSON.stringify(tmpl, null, 2); }
  function csv(s) { return s.split(",").map(function (x) { return x.trim(); }).filter(Boolean); }

  function field(i, name, labelText, value, onInput) {
    var wrap = document.createElement("div");
    var id = "col-" + i + "-" + name;
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labelText;
    var input = document.createElement("input");
    input.id = id;
    input.value = value || "";
    input.dataset.field = name;
    input.addEventListener("input", function () { onInput(input.value); write(); });
    wrap.append(label, input);
    return wrap;
  }
  function flag(i, name, text, col) {
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.id = "col-" + i + "-" + name;
    box.checked = !!col[name];
    box.addEventListener("change", function () {
      if (box.checked) col[name] = true; else delete col[name];
      write();
    });
    label.append(box, document.createTextNode(text));
    return label;
  }
  function button(text, label, onClick, disabled) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.disabled = !!disabled;
    b.addEventListener("click", onClick);
    return b;
  }
  function move(from, to) {
    if (to < 0 || to >= tmpl.columns.length || from === to) return;
    var c = tmpl.columns.splice(from, 1)[0];
    tmpl.columns.splice(to, 0, c);
    write();
    render();
    var again = list.children[to] && list.children[to].querySelector("input");
    if (again) again.focus();
  }

  function item(col, i) {
    var li = document.createElement("li");
    li.dataset.index = String(i);
    var name = col.key || "column " + (i + 1);
    var handle = document.createElement("span");
    handle.className = "handle";
    handle.textContent = "⠿";
    handle.title = "Drag to reorder";
    handle.setAttribute("aria-hidden", "true");
    li.draggable = true;
    li.addEventListener("dragstart", function (e) { dragFrom = i; li.classList.add("dragging"); e.dataTransfer.effectAllowed = "move"; e.dataTransfer.setData("text/plain", String(i)); });
    li.addEventListener("dragend", function () { li.classList.remove("dragging"); });
    li.addEventListener("dragover", function (e) { e.preventDefault(); li.classList.add("over"); });
    li.addEventListener("dragleave", function () { li.classList.remove("over"); });
    li.addEventListener("drop", function (e) { e.preventDefault(); li.classList.remove("over"); if (dragFrom >= 0) move(dragFrom, i); dragFrom = -1; });

    var type = document.createElement("div");
    var tl = document.createElement("label");
    tl.htmlFor = "col-" + i + "-type";
    tl.textContent = "Type";
    var sel = document.createElement("select");
    sel.id = "col-" + i + "-type";
    TYPES.forEach(function (t) {
      var o = document.createElement("option");
      o.value = t; o.textContent = t; o.selected = col.type === t;
      sel.append(o);
    });
    sel.addEventListener("change", function () {
      TYPED.forEach(function (k) { delete col[k]; });
      col.type = sel.value;
      write();
      render();
      document.getElementById("col-" + i + "-type").focus();
    });
    type.append(tl, sel);

    var more = document.createElement("div");
    var flags = document.createElement("div");
    flags.className = "flags";
    flags.append(flag(i, "required", "required", col), flag(i, "unique", "unique", col));
    more.append(field(i, "synonyms", "Synonyms (comma-separated)", (col.synonyms || []).join(", "), function (v) {
      var s = csv(v); if (s.length) col.synonyms = s; else delete col.synonyms;
    }), flags);

    var actions = document.createElement("div");
    actions.className = "row-actions";
    actions.append(
      button("↑", "Move " + name + " up", function () { move(i, i - 1); }, i === 0),
      button("↓", "Move " + name + " down", function () { move(i, i + 1); }, i === tmpl.columns.length - 1),
      button("✕", "Remove " + name, function () { tmpl.columns.splice(i, 1); write(); render(); add.focus(); }));

    li.append(handle,
      field(i, "key", "Key", col.key, function (v) { col.key = v; }),
      field(i, "label", "Label", col.label, function (v) { if (v) col.label = v; else delete col.label; }),
      type, more, actions);

    var opts = null;
    if (col.type === "enum" || col.type === "multi_enum") {
      opts = field(i, "options", "Options (comma-separated values)", (col.options || []).map(function (o) { return typeof o === "string" ? o : o.value; }).join(", "),
        function (v) { col.options = csv(v); });
    } else if (col.type === "regex") {
      opts = field(i, "pattern", "Pattern", col.pattern, function (v) { col.pattern = v; });
    } else if (col.type === "date" || col.type === "datetime" || col.type === "time") {
      opts = field(i, "formats", "Formats (comma-separated, e.g. YYYY-MM-DD)", (col.formats || []).join(", "), function (v) {
        var f = csv(v); if (f.length) col.formats = f; else delete col.formats;
      });
    }
    if (opts) { opts.className = "opts"; li.append(opts); }
    return li;
  }

  function render() {
    list.replaceChildren.apply(list, tmpl.columns.map(item));
  }

  add.addEventListener("click", function () {
    var n = tmpl.columns.length + 1;
    tmpl.columns.push({ key: "column_" + n, type: "text" });
    write();
    render();
    var key = document.getElementById("col-" + (n - 1) + "-key");
    if (key) { key.focus(); key.select(); }
  });

  // Sample files: the header row names the columns; up to 200 rows of the
  // first 256 KB guess each type (number, boolean, email, date, else text).
  function splitCSV(text, delim) {
    var rows = [], row = [], cell = "", q = false;
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      if (q) {
        if (c === '"') { if (text[i + 1] === '"') { cell += '"'; i++; } else q = false; }
        else cell += c;
      } else if (c === '"') q = true;
      else if (c === delim) { row.push(cell); cell = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(cell); rows.push(row); row = []; cell = "";
        if (rows.length > 200) return rows;
      } else cell += c;
    }
    if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
    return rows;
  }
  function keyOf(label, used) {
    var k = label.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    if (!/^[a-z]/.test(k)) k = "c_" + k;
    k = k.slice(0, 60).replace(/_+$/, "") || "column";
    var base = k, n = 2;
    while (used[k]) k = base + "_" + n++;
    used[k] = true;
    return k;
  }
  var GUESSES = [
    ["number", /^[-+]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$/],
    ["boolean", /^(true|false|yes|no)$/i],
    ["email", /^[^\s@]+@[^\s@]+\.[^\s@]+$/],
    ["date", /^\d{4}-\d{2}-\d{2}$/],
  ];
  function guess(values) {
    var seen = values.filter(function (v) { return v.trim() !== ""; });
    if (!seen.length) return { type: "text" };
    for (var g = 0; g < GUESSES.length; g++) {
      if (seen.every(function (v) { return GUESSES[g][1].test(v.trim()); })) {
        var col = { type: GUESSES[g][0] };
        if (col.type === "date") col.formats = ["YYYY-MM-DD"];
        if (col.type === "number" && seen.some(function (v) { return v.indexOf(",") >= 0; })) col.thousands_separator = ",";
        return col;
      }
    }
    return { type: "text" };
  }
  sf.addEventListener("change", function () {
    var file = sf.files && sf.files[0];
    if (!file || !tmpl) return;
    file.slice(0, 256 * 1024).text().then(function (text) {
      text = text.replace(/^\ufeff/, "");
      var first = text.split(/\r?\n/, 1)[0];
      var delim = (first.split("\t").length > first.split(",").length) ? "\t" : (first.split(";").length > first.split(",").length ? ";" : ",");
      var rows = splitCSV(text, delim);
      if (file.size > 256 * 1024 && rows.length > 1) rows.pop(); // possibly cut short
      if (!rows.length || !rows[0].length) { msg.className = "msg"; msg.textContent = "The sample file has no header row."; return; }
      var used = {};
      tmpl.columns = rows[0].map(function (label, j) {
        label = label.trim() || "Column " + (j + 1);
        var col = guess(rows.slice(1).map(function (r) { return r[j] || ""; }));
        var out = { key: keyOf(label, used), label: label, type: col.type };
        Object.keys(col).forEach(function (k) { if (k !== "type") out[k] = col[k]; });
        return out;
      });
      msg.className = "msg info";
      msg.textContent = "Columns made from the sample's header and first " + (rows.length - 1) + " rows; check the guessed types.";
      write();
      render();
    });
  });

  area.addEventListener("input", function () {
    var t = parse();
    if (t) { tmpl = t; msg.className = "msg"; msg.textContent = ""; render(); list.hidden = add.hidden = false; }
    else { msg.textContent = "The JSON below is not valid yet; the column editor resumes once it is."; list.hidden = add.hidden = true; }
  });

  tmpl = parse();
  if (tmpl) render();
  else { msg.textContent = "The JSON below is not valid yet; the column editor resumes once it is."; list.hidden = add.hidden = true; }
})();
