// A small streaming XML scanner for the parts of an XLSX file. It knows
// elements, attributes, text and CDATA, skips comments and processing
// instructions, and refuses any DOCTYPE: OOXML never has one, and refusing it
// rules out entity-expansion attacks (only the five predefined entities and
// character references are decoded).

/** Callbacks of the scanner; names are local names (any "x:" prefix removed). */
export interface XmlHandler {
  open(name: string, attrs: string, selfClosing: boolean): void;
  close(name: string): void;
  text(text: string): void;
}

/** Thrown on input the scanner refuses, such as a DOCTYPE. */
export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlError";
  }
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Decodes the predefined entities and numeric character references in s. */
export function unescapeXml(s: string): string {
  if (s.indexOf("&") < 0) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref] ?? whole;
  });
}

/**
 * Line ends as an XML processor must pass them on (XML 1.0, 2.11): CR LF and
 * a lone CR written in the document are LF; a CR written as &#13; stays.
 * Excel reads them so, and so does the server's encoding/xml.
 */
function eol(s: string): string {
  return s.indexOf("\r") < 0 ? s : s.replace(/\r\n?/g, "\n");
}

/** Returns the unescaped value of attribute name in a raw attribute string, or null. */
export function attr(attrs: string, name: string): string | null {
  let from = 0;
  for (;;) {
    const at = attrs.indexOf(name, from);
    if (at < 0) return null;
    const before = at === 0 ? " " : attrs[at - 1]!;
    let p = at + name.length;
    while (attrs[p] === " ") p++;
    if ((before === " " || before === "\t" || before === "\n" || before === "\r" || before === ":") && attrs[p] === "=") {
      p++;
      while (attrs[p] === " ") p++;
      const quote = attrs[p];
      if (quote === '"' || quote === "'") {
        const end = attrs.indexOf(quote, p + 1);
        if (end < 0) return null;
        return unescapeXml(attrs.slice(p + 1, end));
      }
    }
    from = at + name.length;
  }
}

function localName(qname: string): string {
  const colon = qname.indexOf(":");
  return colon < 0 ? qname : qname.slice(colon + 1);
}

/** Streaming scanner: push text in any slices, then call end(). */
export class XmlScanner {
  private buffer = "";

  constructor(private readonly handler: XmlHandler) {}

  push(chunk: string): void {
    const s = this.buffer.length ? this.buffer + chunk : chunk;
    const h = this.handler;
    let i = 0;
    const n = s.length;
    while (i < n) {
      const lt = s.indexOf("<", i);
      if (lt < 0) break;
      if (lt > i) h.text(unescapeXml(eol(s.slice(i, lt))));
      i = lt;
      const next = s.charCodeAt(lt + 1);
      if (next === 33 /* ! */) {
        if (s.startsWith("<!--", lt)) {
          const end = s.indexOf("-->", lt + 4);
          if (end < 0) break;
          i = end + 3;
          continue;
        }
        if (s.startsWith("<![CDATA[", lt)) {
          const end = s.indexOf("]]>", lt + 9);
          if (end < 0) break;
          h.text(eol(s.slice(lt + 9, end)));
          i = end + 3;
          continue;
        }
        if (n - lt < 9) break;
        throw new XmlError("DOCTYPE and declarations are not allowed");
      }
      // Find the closing '>' that is not inside a quoted attribute value.
      let gt = s.indexOf(">", lt + 1);
      let quote = 0;
      let scan = lt + 1;
      while (gt >= 0) {
        for (; scan < gt; scan++) {
          const c = s.charCodeAt(scan);
          if (quote === 0 && (c === 34 || c === 39)) quote = c;
          else if (c === quote) quote = 0;
        }
        if (quote === 0) break;
        gt = s.indexOf(">", gt + 1);
      }
      if (gt < 0) break;
      i = gt + 1;
      if (next === 63 /* ? */) continue;
      if (next === 47 /* / */) {
        h.close(localName(s.slice(lt + 2, gt).trim()));
        continue;
      }
      const selfClosing = s.charCodeAt(gt - 1) === 47;
      const inner = s.slice(lt + 1, selfClosing ? gt - 1 : gt);
      let nameEnd = 0;
      while (nameEnd < inner.length) {
        const c = inner.charCodeAt(nameEnd);
        if (c === 32 || c === 9 || c === 10 || c === 13) break;
        nameEnd++;
      }
      h.open(localName(inner.slice(0, nameEnd)), inner.slice(nameEnd), selfClosing);
    }
    this.buffer = i < n ? s.slice(i) : "";
  }

  end(): void {
    if (this.buffer.trim()) throw new XmlError("truncated XML");
    this.buffer = "";
  }
}
