// The server's Ed25519 signing key and what it signs: bearer tokens (EdDSA JWTs valid only at this
// server: aud = iss), key bindings, and the JWKS that publishes it.

import { createHash, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { decodeStd, decodeUrl, encodeUrl } from "./b64";
import { signEd25519, verifyStrict } from "./ed25519";
import { isObject, JsonObject, parseJson } from "./json";
import { privateKeyFromRaw, rawPublic } from "./keys";

// Bounds the memory of the verified-token cache; when full it is simply emptied.
const VERIFIED_CACHE_MAX = 10_000;

const enc = (o: object): string => encodeUrl(Buffer.from(JSON.stringify(o), "utf8"));

/** RFC 7638 thumbprint of an Ed25519 JWK: SHA-256 over the required members, sorted, no spaces. */
export function jwkThumbprint(x: string): string {
  return encodeUrl(createHash("sha256").update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest());
}

export class Issuer {
  readonly publicRaw: Buffer;
  readonly kid: string;
  readonly issuerId: string;
  private readonly key: KeyObject;

  constructor(
    seed: Uint8Array,
    readonly tokenTtlSeconds: number,
  ) {
    this.key = privateKeyFromRaw("Ed25519", seed);
    this.publicRaw = rawPublic(this.key);
    this.kid = jwkThumbprint(encodeUrl(this.publicRaw));
    this.issuerId = `urn:avp:ts-server:${this.kid}`;
  }

  static freshSeed(): Buffer {
    return randomBytes(32);
  }

  jwk(): JsonObject {
    return { kty: "OKP", crv: "Ed25519", x: encodeUrl(this.publicRaw), kid: this.kid, alg: "EdDSA", use: "sig" };
  }

  mint(memberId: string, nowMs: number): { token: string; expiresAt: number } {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.tokenTtlSeconds;
    const head = enc({ alg: "EdDSA", typ: "JWT", kid: this.kid });
    const body = enc({
      iss: this.issuerId,
      aud: this.issuerId,
      sub: `key:${memberId}`,
      kind: "keypair",
      iat,
      exp,
      jti: encodeUrl(randomBytes(16)),
    });
    const sig = signEd25519(this.key, Buffer.from(`${head}.${body}`, "ascii"));
    return { token: `${head}.${body}.${encodeUrl(sig)}`, expiresAt: exp * 1000 };
  }

  /** The member id a token authenticates, or null when it is not a live token of this server. */
  verify(token: string, nowMs: number): string | null {
    // A token's signature and claims never change: verify once, then only re-check the expiry.
    const hit = this.verified.get(token);
    if (hit !== undefined) return hit.expMs > nowMs ? hit.memberId : null;
    const checked = this.verifyUncached(token, nowMs);
    if (checked !== null) {
      if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
      this.verified.set(token, checked);
    }
    return checked?.memberId ?? null;
  }

  private readonly verified = new Map<string, { memberId: string; expMs: number }>();

  private verifyUncached(token: string, nowMs: number): { memberId: string; expMs: number } | null {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    const [h, b, s] = parts as [string, string, string];
    const hb = decodeUrl(h);
    const bb = decodeUrl(b);
    const sb = decodeUrl(s);
    if (hb === null || bb === null || sb === null || sb.length !== 64) return null;
    if (!verifyStrict(this.publicRaw, Buffer.from(`${h}.${b}`, "ascii"), sb)) return null;
    try {
      const head = parseJson(hb.toString("utf8"));
      const claims = parseJson(bb.toString("utf8"));
      if (!isObject(head) || !isObject(claims)) return null;
      if (head["alg"] !== "EdDSA" || head["kid"] !== this.kid) return null;
      const exp = claims["exp"];
      const sub = claims["sub"];
      if (claims["aud"] !== this.issuerId || claims["kind"] !== "keypair") return null;
      if (typeof exp !== "number" || exp * 1000 <= nowMs) return null;
      if (typeof sub !== "string" || !sub.startsWith("key:")) return null;
      const id = sub.slice(4);
      const raw = decodeStd(id);
      return raw !== null && raw.length === 32 ? { memberId: id, expMs: exp * 1000 } : null;
    } catch {
      return null;
    }
  }

  /** keyBindingSig over UTF8(ed25519B64 + "|" + x25519B64) (spec §9). */
  bind(ed25519B64: string, x25519B64: string): Buffer {
    return signEd25519(this.key, Buffer.from(`${ed25519B64}|${x25519B64}`, "utf8"));
  }
}
