// Strict base64 (RFC 4648 §4 standard alphabet with canonical padding, §5 url-safe without padding):
// Buffer.from(s, "base64") silently skips junk and accepts either alphabet, so we validate the text
// first and then check that re-encoding gives back exactly the input (zero trailing bits).

const STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_NOPAD = /^[A-Za-z0-9_-]*$/;

/** Decode standard base64, or return null when `s` is not its canonical encoding of some bytes. */
export function decodeStd(s: string): Buffer | null {
  if (!STD.test(s)) return null;
  const bytes = Buffer.from(s, "base64");
  return bytes.toString("base64") === s ? bytes : null;
}

/** Decode base64url without padding, or null when not canonical (length 4k+1 or nonzero trailing bits). */
export function decodeUrl(s: string): Buffer | null {
  if (!URL_NOPAD.test(s) || s.length % 4 === 1) return null;
  const bytes = Buffer.from(s, "base64url");
  return bytes.toString("base64url") === s ? bytes : null;
}

export const encodeStd = (b: Uint8Array): string => Buffer.from(b).toString("base64");
export const encodeUrl = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
