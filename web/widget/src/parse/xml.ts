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

/** A tag or processing instruction longer than this is refused (OOXML's are short). */
export const MAX_MARKUP = 1 << 20;
/** Text held back at a slice's end in case it begins an entity or character reference. */
const MAX_REF = 64;
const REF_PREFIX = /&(#x?[0-9a-fA-F]*|[a-zA-Z]*)$/;

const TEXT = 0;
const COMMENT = 1;
const CDATA = 2;

/**
 * Streaming scanner: push text in any slices, then call end(). The work is
 * linear in the input: text and CDATA are passed on as they come (a text
 * node may reach text() in several pieces), a comment is skipped as it
 * comes, and only an unfinished tag is held, up to MAX_MARKUP.
 */
export class XmlScanner {
  private buffer = "";
  private mode = TEXT;
  /** Non-blank text met since the last markup (text after the root element: truncated). */
  private loose = false;
  /** Code units examined so far (each push examines what it holds plus its chunk): for tests of linearity. */
  work = 0;

  constructor(private readonly handler: XmlHandler) {}

  private emit(raw: string): void {
    if (raw === "") return;
    const text = unescapeXml(eol(raw));
    if (!this.loose && /\S/.test(text)) this.loose = true;
    this.handler.text(text);
  }

  push(chunk: string): void {
    const s = this.buffer.length ? this.buffer + chunk : chunk;
    this.buffer = "";
    this.work += s.length;
    const h = this.handler;
    let i = 0;
    const n = s.length;
    if (this.mode !== TEXT) {
      const end = s.indexOf(this.mode === COMMENT ? "-->" : "]]>");
      if (end < 0) {
        // Hold the last two units (a terminator may be cut), and a CR before them.
        let cut = Math.max(0, n - 2);
        if (cut > 0 && s.charCodeAt(cut - 1) === 13) cut--;
        if (this.mode === CDATA && cut > 0) {
          this.loose = false;
          h.text(eol(s.slice(0, cut)));
        }
        this.buffer = s.slice(cut);
        return;
      }
      if (this.mode === CDATA) h.text(eol(s.slice(0, end)));
      this.mode = TEXT;
      this.loose = false;
      i = end + 3;
    }
    while (i < n) {
      const lt = s.indexOf("<", i);
      if (lt < 0) {
        // Text with no markup after it yet: pass it on but for a possible
        // reference or CR cut at the slice's end.
        let cut = n;
        const amp = s.lastIndexOf("&", n - 1);
        if (amp >= i && n - amp <= MAX_REF && REF_PREFIX.test(s.slice(amp))) cut = amp;
        if (cut > i && s.charCodeAt(cut - 1) === 13) cut--;
        this.emit(s.slice(i, cut));
        this.buffer = s.slice(cut);
        return;
      }
      if (lt > i) this.emit(s.slice(i, lt));
      i = lt;
      this.loose = false;
      const next = s.charCodeAt(lt + 1);
      if (next === 33 /* ! */) {
        if (s.startsWith("<!--", lt)) {
          const end = s.indexOf("-->", lt + 4);
          if (end < 0) {
            this.mode = COMMENT;
            this.buffer = s.slice(Math.max(lt + 4, n - 2));
            return;
          }
          i = end + 3;
          continue;
        }
        if (s.startsWith("<![CDATA[", lt)) {
          const end = s.indexOf("]]>", lt + 9);
          if (end < 0) {
            this.mode = CDATA;
            let cut = Math.max(lt + 9, n - 2);
            if (cut > lt + 9 && s.charCodeAt(cut - 1) === 13) cut--;
            if (cut > lt + 9) h.text(eol(s.slice(lt + 9, cut)));
            this.buffer = s.slice(cut);
            return;
          }
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
    // An unfinished tag from i (the loop only stops early at one).
    if (n - i > MAX_MARKUP) throw new XmlError("markup too long");
    this.buffer = i < n ? s.slice(i) : "";
  }

  end(): void {
    if (this.mode !== TEXT || this.loose || this.buffer.trim()) throw new XmlError("truncated XML");
    this.buffer = "";
  }
}
