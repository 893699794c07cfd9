// The strict JSON reader on its own: what JSON.parse would silently accept or lose.

import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { JsonSyntaxError, parseJson, RawNumber, stringify } from "../json";

describe("strict JSON", () => {
  it("rejects duplicate keys at any depth", () => {
    assert.throws(() => parseJson('{"a":1,"a":1}'), JsonSyntaxError);
    assert.throws(() => parseJson('{"x":[{"b":1,"c":{"d":1,"d":2}}]}'), JsonSyntaxError);
    assert.throws(() => parseJson('{"\\u0061":1,"a":2}'), JsonSyntaxError);
  });

  it("counts depth from the top-level container", () => {
    assert.doesNotThrow(() => parseJson("[".repeat(32) + "]".repeat(32)));
    assert.throws(() => parseJson("[".repeat(33) + "]".repeat(33)), JsonSyntaxError);
    assert.throws(() => parseJson("[".repeat(1_000_000)), JsonSyntaxError);
  });

  it("keeps integer literals as numbers only inside the safe range, other literals verbatim", () => {
    assert.equal(parseJson("9007199254740991"), 9007199254740991);
    assert.ok(parseJson("9007199254740993") instanceof RawNumber);
    assert.ok(parseJson("1.0") instanceof RawNumber);
    assert.ok(parseJson("1e2") instanceof RawNumber);
    assert.equal(parseJson("-0"), 0);
    assert.equal(stringify(parseJson('{"a":9007199254740993,"b":1.50,"c":[true,null]}')), '{"a":9007199254740993,"b":1.50,"c":[true,null]}');
    for (const bad of ["01", "1.", ".5", "+1", "1e", "0x10", "NaN", "-Infinity", "1e400"]) assert.throws(() => parseJson(bad), JsonSyntaxError, bad);
  });

  it("handles strings exactly: escapes, surrogate pairs, no raw control characters", () => {
    assert.equal(parseJson('"\\ud83d\\ude00 \\"\\\\\\/\\b\\f\\n\\r\\t"'), '\u{1F600} "\\/\b\f\n\r\t');
    assert.throws(() => parseJson('"a\nb"'), JsonSyntaxError);
    assert.throws(() => parseJson('"\\u12"'), JsonSyntaxError);
    assert.throws(() => parseJson('"abc'), JsonSyntaxError);
  });

  it("keeps __proto__ as an ordinary key", () => {
    const v = parseJson('{"__proto__":{"x":1}}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(v), ["__proto__"]);
    assert.equal(stringify(v as never), '{"__proto__":{"x":1}}');
  });
});
