// A member identity: Ed25519 (member id, signs login challenges) + X25519 (receives wrapped keys).

import { generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { encodeStd } from "./b64";
import { signEd25519 } from "./ed25519";
import { privateKeyFromRaw, rawPublic } from "./keys";

export class Identity {
  readonly ed25519Public: Buffer;
  readonly x25519Public: Buffer;
  readonly memberId: string;
  readonly x25519PublicB64: string;

  private constructor(
    private readonly ed25519: KeyObject,
    readonly x25519: KeyObject,
  ) {
    this.ed25519Public = rawPublic(ed25519);
    this.x25519Public = rawPublic(x25519);
    this.memberId = encodeStd(this.ed25519Public);
    this.x25519PublicB64 = encodeStd(this.x25519Public);
  }

  static random(): Identity {
    return new Identity(generateKeyPairSync("ed25519").privateKey, generateKeyPairSync("x25519").privateKey);
  }

  static fromRaw(ed25519Seed: Uint8Array | null, x25519Private: Uint8Array | null): Identity {
    return new Identity(
      ed25519Seed === null ? generateKeyPairSync("ed25519").privateKey : privateKeyFromRaw("Ed25519", ed25519Seed),
      x25519Private === null ? generateKeyPairSync("x25519").privateKey : privateKeyFromRaw("X25519", x25519Private),
    );
  }

  sign(message: Uint8Array): Buffer {
    return signEd25519(this.ed25519, message);
  }
}
