"use strict";
// The server's Ed25519 signing key and what it signs: bearer tokens (EdDSA JWTs valid only at this
// server: aud = iss), key bindings, and the JWKS that publishes it.
Object.defineProperty(exports, "__esModule", { value: true });
exports.Issuer = void 0;
exports.jwkThumbprint = jwkThumbprint;
const node_crypto_1 = require("node:crypto");
const b64_1 = require("./b64");
const ed25519_1 = require("./ed25519");
const json_1 = require("./json");
const keys_1 = require("./keys");
// Bounds the memory of the verified-token cache; when full it is simply emptied.
const VERIFIED_CACHE_MAX = 10_000;
const enc = (o) => (0, b64_1.encodeUrl)(Buffer.from(JSON.stringify(o), "utf8"));
/** RFC 7638 thumbprint of an Ed25519 JWK: SHA-256 over the required members, sorted, no spaces. */
function jwkThumbprint(x) {
    return (0, b64_1.encodeUrl)((0, node_crypto_1.createHash)("sha256").update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest());
}
class Issuer {
    tokenTtlSeconds;
    publicRaw;
    kid;
    issuerId;
    key;
    constructor(seed, tokenTtlSeconds) {
        this.tokenTtlSeconds = tokenTtlSeconds;
        this.key = (0, keys_1.privateKeyFromRaw)("Ed25519", seed);
        this.publicRaw = (0, keys_1.rawPublic)(this.key);
        this.kid = jwkThumbprint((0, b64_1.encodeUrl)(this.publicRaw));
        this.issuerId = `urn:avp:ts-server:${this.kid}`;
    }
    static freshSeed() {
        return (0, node_crypto_1.randomBytes)(32);
    }
    jwk() {
        return { kty: "OKP", crv: "Ed25519", x: (0, b64_1.encodeUrl)(this.publicRaw), kid: this.kid, alg: "EdDSA", use: "sig" };
    }
    mint(memberId, nowMs) {
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
            jti: (0, b64_1.encodeUrl)((0, node_crypto_1.randomBytes)(16)),
        });
        const sig = (0, ed25519_1.signEd25519)(this.key, Buffer.from(`${head}.${body}`, "ascii"));
        return { token: `${head}.${body}.${(0, b64_1.encodeUrl)(sig)}`, expiresAt: exp * 1000 };
    }
    /** The member id a token authenticates, or null when it is not a live token of this server. */
    verify(token, nowMs) {
        // A token's signature and claims never change: verify once, then only re-check the expiry.
        const hit = this.verified.get(token);
        if (hit !== undefined)
            return hit.expMs > nowMs ? hit.memberId : null;
        const checked = this.verifyUncached(token, nowMs);
        if (checked !== null) {
            if (this.verified.size >= VERIFIED_CACHE_MAX)
                this.verified.clear();
            this.verified.set(token, checked);
        }
        return checked?.memberId ?? null;
    }
    verified = new Map();
    verifyUncached(token, nowMs) {
        const parts = token.split(".");
        if (parts.length !== 3)
            return null;
        const [h, b, s] = parts;
        const hb = (0, b64_1.decodeUrl)(h);
        const bb = (0, b64_1.decodeUrl)(b);
        const sb = (0, b64_1.decodeUrl)(s);
        if (hb === null || bb === null || sb === null || sb.length !== 64)
            return null;
        if (!(0, ed25519_1.verifyStrict)(this.publicRaw, Buffer.from(`${h}.${b}`, "ascii"), sb))
            return null;
        try {
            const head = (0, json_1.parseJson)(hb.toString("utf8"));
            const claims = (0, json_1.parseJson)(bb.toString("utf8"));
            if (!(0, json_1.isObject)(head) || !(0, json_1.isObject)(claims))
                return null;
            if (head["alg"] !== "EdDSA" || head["kid"] !== this.kid)
                return null;
            const exp = claims["exp"];
            const sub = claims["sub"];
            if (claims["aud"] !== this.issuerId || claims["kind"] !== "keypair")
                return null;
            if (typeof exp !== "number" || exp * 1000 <= nowMs)
                return null;
            if (typeof sub !== "string" || !sub.startsWith("key:"))
                return null;
            const id = sub.slice(4);
            const raw = (0, b64_1.decodeStd)(id);
            return raw !== null && raw.length === 32 ? { memberId: id, expMs: exp * 1000 } : null;
        }
        catch {
            return null;
        }
    }
    /** keyBindingSig over UTF8(ed25519B64 + "|" + x25519B64) (spec §9). */
    bind(ed25519B64, x25519B64) {
        return (0, ed25519_1.signEd25519)(this.key, Buffer.from(`${ed25519B64}|${x25519B64}`, "utf8"));
    }
}
exports.Issuer = Issuer;
