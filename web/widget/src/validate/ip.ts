// IP addresses: strict IPv4 dotted quads and RFC 4291 IPv6 text, output in
// RFC 5952 canonical form, parsed by hand in linear time.

/** isIPv4 reports whether s[from:to] is four 0–255 numbers without leading zeros. */
export function isIPv4(s: string, from: number, to: number): boolean {
  let parts = 0;
  let i = from;
  while (parts < 4) {
    const start = i;
    let v = 0;
    while (i < to && i - start < 4) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && s.charCodeAt(start) === 48)) return false;
    parts++;
    if (parts < 4) {
      if (i >= to || s.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  return i === to;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * parseIPv6 reads s[from:to] into eight 16-bit groups, or returns null. It
 * accepts one "::" and a dotted IPv4 tail in place of the last two groups.
 */
export function parseIPv6(s: string, from: number, to: number): number[] | null {
  const groups: number[] = [];
  let gap = -1;
  let i = from;
  if (to - from >= 2 && s.charCodeAt(i) === 58 && s.charCodeAt(i + 1) === 58) {
    gap = 0;
    i += 2;
    if (i === to) return expand(groups, gap);
  } else if (i < to && s.charCodeAt(i) === 58) {
    return null;
  }
  while (i < to) {
    if (groups.length >= 8) return null;
    const start = i;
    let v = 0;
    while (i < to && i - start < 5) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
      i++;
    }
    if (i < to && s.charCodeAt(i) === 46) {
      // An IPv4 tail ends the address and stands for two groups.
      if (groups.length > 6 || !isIPv4(s, start, to)) return null;
      let part = 0;
      const bytes: number[] = [];
      for (let j = start; j <= to; j++) {
        if (j === to || s.charCodeAt(j) === 46) {
          bytes.push(part);
          part = 0;
        } else part = part * 10 + (s.charCodeAt(j) - 48);
      }
      groups.push(((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0), ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0));
      break;
    }
    const len = i - start;
    if (len === 0 || len > 4) return null;
    groups.push(v);
    if (i === to) break;
    if (s.charCodeAt(i) !== 58) return null;
    i++;
    if (i < to && s.charCodeAt(i) === 58) {
      if (gap >= 0) return null;
      gap = groups.length;
      i++;
      if (i === to) break;
    } else if (i === to) {
      return null;
    }
  }
  return expand(groups, gap);
}

function expand(groups: number[], gap: number): number[] | null {
  if (gap < 0) return groups.length === 8 ? groups : null;
  if (groups.length > 7) return null;
  const out = groups.slice(0, gap);
  for (let k = groups.length; k < 8; k++) out.push(0);
  for (let k = gap; k < groups.length; k++) out.push(groups[k] ?? 0);
  return out;
}

/** formatIPv6 writes eight groups in RFC 5952 canonical text. */
export function formatIPv6(g: number[]): string {
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    const a = g[6] ?? 0;
    const b = g[7] ?? 0;
    return `::ffff:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  const hex = (k: number): string => (g[k] ?? 0).toString(16);
  if (bestStart < 0) return g.map((_, k) => hex(k)).join(":");
  const head: string[] = [];
  for (let k = 0; k < bestStart; k++) head.push(hex(k));
  const tail: string[] = [];
  for (let k = bestStart + bestLen; k < 8; k++) tail.push(hex(k));
  return head.join(":") + "::" + tail.join(":");
}

/** IP families a column accepts. */
export type IPVersion = "4" | "6" | "any";

/** normaliseIP returns the canonical address, or null when s is not one of version's family. */
export function normaliseIP(s: string, version: IPVersion): string | null {
  if (s.indexOf(":") < 0) {
    if (version === "6") return null;
    return isIPv4(s, 0, s.length) ? s : null;
  }
  if (version === "4") return null;
  const g = parseIPv6(s, 0, s.length);
  return g === null ? null : formatIPv6(g);
}
