// Web addresses (http and https only), checked by a linear scanner.

import { isDomain } from "./email.ts";
import { isIPv4, parseIPv6 } from "./ip.ts";

// BAD_REST[c] is 1 for ASCII codes refused after the authority.
const BAD_REST = new Uint8Array(128);
for (let c = 0; c <= 0x20; c++) BAD_REST[c] = 1;
BAD_REST[0x7f] = 1;
for (const ch of "\"<>\\^`{|}") BAD_REST[ch.charCodeAt(0)] = 1;

const MAX_URL = 2048;

/**
 * normaliseURL returns the address with scheme and host lower-cased (and
 * "https://" put in front when it has no "://"), or null when it is not an
 * http(s) URL under docs/templates.md.
 */
export function normaliseURL(input: string): string | null {
  const s = input.indexOf("://") < 0 ? "https://" + input : input;
  const n = s.length;
  if (n > MAX_URL) return null;
  const sep = s.indexOf("://");
  const scheme = s.slice(0, sep).toLowerCase();
  if (scheme !== "http" && scheme !== "https") return null;
  if (!/^[A-Za-z]+$/.test(s.slice(0, sep))) return null;
  const hostStart = sep + 3;
  // The authority ends at the first "/", "?" or "#".
  let end = hostStart;
  while (end < n) {
    const c = s.charCodeAt(end);
    if (c === 47 || c === 63 || c === 35) break;
    end++;
  }
  let hostEnd: number;
  if (s.charCodeAt(hostStart) === 91 /* [ */) {
    const close = s.indexOf("]", hostStart);
    if (close < 0 || close >= end) return null;
    if (parseIPv6(s, hostStart + 1, close) === null) return null;
    hostEnd = close + 1;
  } else {
    hostEnd = hostStart;
    while (hostEnd < end && s.charCodeAt(hostEnd) !== 58) hostEnd++;
    if (!isDomain(s, hostStart, hostEnd) && !isIPv4(s, hostStart, hostEnd)) return null;
  }
  if (hostEnd < end) {
    if (s.charCodeAt(hostEnd) !== 58) return null;
    const portLen = end - hostEnd - 1;
    if (portLen < 1 || portLen > 5) return null;
    let port = 0;
    for (let i = hostEnd + 1; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      port = port * 10 + (c - 48);
    }
    if (port < 1 || port > 65535) return null;
  }
  for (let i = end; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && BAD_REST[c] === 1) return null;
  }
  const head = s.slice(0, hostEnd);
  const lower = head.toLowerCase();
  return lower === head ? s : lower + s.slice(hostEnd);
}
