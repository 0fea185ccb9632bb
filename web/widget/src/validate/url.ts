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
 * normaliseURL returns the address with scheme and host lower-cased, or null
 * when it is not an http(s) URL under docs/templates.md (Go: urlCheck). The
 * scheme is the leading run of ASCII letters when "://" follows it; without
 * one, https is assumed.
 */
export function normaliseURL(v: string): string | null {
  if (v.length > MAX_URL) return null;
  let letters = 0;
  while (letters < v.length && isLetter(v.charCodeAt(letters))) letters++;
  let scheme = "https";
  let restStart = 0;
  if (letters > 0 && v.startsWith("://", letters)) {
    scheme = v.slice(0, letters).toLowerCase();
    restStart = letters + 3;
  }
  if (scheme !== "http" && scheme !== "https") return null;
  // The authority ends at the first "/", "?" or "#".
  let end = restStart;
  while (end < v.length) {
    const c = v.charCodeAt(end);
    if (c === 47 || c === 63 || c === 35) break;
    end++;
  }
  for (let i = end; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 128 && BAD_REST[c] === 1) return null;
  }
  let hostEnd: number;
  if (v.charCodeAt(restStart) === 91 /* [ */) {
    const close = v.indexOf("]", restStart);
    if (close < 0 || close >= end) return null;
    if (parseIPv6(v, restStart + 1, close) === null) return null;
    hostEnd = close + 1;
  } else {
    const colon = v.lastIndexOf(":", end - 1);
    hostEnd = colon >= restStart ? colon : end;
    if (!isDomain(v, restStart, hostEnd) && !isIPv4(v, restStart, hostEnd)) return null;
  }
  if (hostEnd < end) {
    if (v.charCodeAt(hostEnd) !== 58) return null;
    const portLen = end - hostEnd - 1;
    if (portLen < 1 || portLen > 5) return null;
    let port = 0;
    for (let i = hostEnd + 1; i < end; i++) {
      const c = v.charCodeAt(i);
      if (c < 48 || c > 57) return null;
      port = port * 10 + (c - 48);
    }
    if (port < 1 || port > 65535) return null;
  }
  // Already lower-case with its scheme: the value is its own output.
  let upper = restStart === 0;
  for (let i = 0; i < hostEnd && !upper; i++) {
    const c = v.charCodeAt(i);
    upper = c >= 65 && c <= 90;
  }
  if (!upper) return v;
  return scheme + "://" + v.slice(restStart, hostEnd).toLowerCase() + v.slice(hostEnd);
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
