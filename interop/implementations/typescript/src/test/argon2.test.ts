// BLAKE2b and Argon2id against independent references: OpenSSL's BLAKE2b-512, the published
// BLAKE2b-256 digest of the empty string, and RFC 9106's Argon2id test vector.

import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { argon2id, blake2b } from "../argon2";

describe("BLAKE2b", () => {
  it("equals OpenSSL's BLAKE2b-512 across block boundaries", () => {
    for (const n of [0, 1, 64, 127, 128, 129, 255, 256, 1000]) {
      const data = randomBytes(n);
      assert.deepEqual(blake2b(data, 64), createHash("blake2b512").update(data).digest(), `length ${n}`);
    }
  });

  it("a shorter digest is its own parameterisation, not a truncation", () => {
    assert.equal(blake2b(Buffer.alloc(0), 32).toString("hex"), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    assert.notDeepEqual(blake2b(Buffer.alloc(0), 32), blake2b(Buffer.alloc(0), 64).subarray(0, 32));
  });
});

describe("Argon2id", () => {
  it("reproduces RFC 9106 §5.3 (m = 32 KiB, t = 3, p = 4, with secret and associated data)", () => {
    const tag = argon2id(Buffer.alloc(32, 1), Buffer.alloc(16, 2), {
      memoryKib: 32,
      iterations: 3,
      parallelism: 4,
      tagLength: 32,
      secret: Buffer.alloc(8, 3),
      associatedData: Buffer.alloc(12, 4),
    });
    assert.equal(tag.toString("hex"), "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
  });

  it("refuses parameters outside the algorithm's ranges", () => {
    assert.throws(() => argon2id(Buffer.alloc(1), Buffer.alloc(16), { memoryKib: 7, iterations: 1, parallelism: 1, tagLength: 32 }), RangeError);
    assert.throws(() => argon2id(Buffer.alloc(1), Buffer.alloc(7), { memoryKib: 8, iterations: 1, parallelism: 1, tagLength: 32 }), RangeError);
  });
});
