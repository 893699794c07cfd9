// Strict base64 (project rule: canonical padding and trailing bits, no whitespace, no url-safe
// alphabet) and base64url without padding. Buffer.from(..., "base64") is lax, so every decode is
// checked by re-encoding.
import { createHash } from "node:crypto";

import { Rejected } from "./errors";

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const B64URL = /^[A-Za-z0-9_-]*$/;
export const MAX_COUNTER = 2 ** 53 - 1;

export function b64(data: Uint8Array): string {
  return Buffer.from(data).toString("base64");
}

export function strictB64(text: string, length?: number | null): Buffer {
  if (!B64.test(text)) throw new Rejected("invalid_encoding");
  const data = Buffer.from(text, "base64");
  if (data.toString("base64") !== text) throw new Rejected("invalid_encoding");
  if (length !== undefined && length !== null && data.length !== length) throw new Rejected("invalid_encoding");
  return data;
}

export function b64url(data: Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}

export function strictB64url(text: string): Buffer {
  if (!B64URL.test(text) || text.length % 4 === 1) throw new Rejected("invalid_encoding");
  const data = Buffer.from(text, "base64url");
  if (data.toString("base64url") !== text) throw new Rejected("invalid_encoding");
  return data;
}

export function hex(text: string): Buffer {
  return Buffer.from(text, "hex");
}

/** A counter: a JSON integer in [0, 2^53-1] (project rule). */
export function counter(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new Rejected("counter_out_of_range");
  }
  return value;
}

/** The documented plaintext derivation: SHA-256(seed || uint32BE(i)) blocks, truncated. */
export function expand(seed: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; i * 32 < length; i++) {
    const index = Buffer.alloc(4);
    index.writeUInt32BE(i);
    blocks.push(createHash("sha256").update(seed).update(index).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

export function sha256(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}
