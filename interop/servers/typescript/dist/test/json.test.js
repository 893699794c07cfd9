"use strict";
// The strict JSON reader on its own: what JSON.parse would silently accept or lose.
Object.defineProperty(exports, "__esModule", { value: true });
const node_assert_1 = require("node:assert");
const node_test_1 = require("node:test");
const json_1 = require("../json");
(0, node_test_1.describe)("strict JSON", () => {
    (0, node_test_1.it)("rejects duplicate keys at any depth", () => {
        node_assert_1.strict.throws(() => (0, json_1.parseJson)('{"a":1,"a":1}'), json_1.JsonSyntaxError);
        node_assert_1.strict.throws(() => (0, json_1.parseJson)('{"x":[{"b":1,"c":{"d":1,"d":2}}]}'), json_1.JsonSyntaxError);
        node_assert_1.strict.throws(() => (0, json_1.parseJson)('{"\\u0061":1,"a":2}'), json_1.JsonSyntaxError);
    });
    (0, node_test_1.it)("counts depth from the top-level container", () => {
        node_assert_1.strict.doesNotThrow(() => (0, json_1.parseJson)("[".repeat(32) + "]".repeat(32)));
        node_assert_1.strict.throws(() => (0, json_1.parseJson)("[".repeat(33) + "]".repeat(33)), json_1.JsonSyntaxError);
        node_assert_1.strict.throws(() => (0, json_1.parseJson)("[".repeat(1_000_000)), json_1.JsonSyntaxError);
    });
    (0, node_test_1.it)("keeps integer literals as numbers only inside the safe range, other literals verbatim", () => {
        node_assert_1.strict.equal((0, json_1.parseJson)("9007199254740991"), 9007199254740991);
        node_assert_1.strict.ok((0, json_1.parseJson)("9007199254740993") instanceof json_1.RawNumber);
        node_assert_1.strict.ok((0, json_1.parseJson)("1.0") instanceof json_1.RawNumber);
        node_assert_1.strict.ok((0, json_1.parseJson)("1e2") instanceof json_1.RawNumber);
        node_assert_1.strict.equal((0, json_1.parseJson)("-0"), 0);
        node_assert_1.strict.equal((0, json_1.stringify)((0, json_1.parseJson)('{"a":9007199254740993,"b":1.50,"c":[true,null]}')), '{"a":9007199254740993,"b":1.50,"c":[true,null]}');
        for (const bad of ["01", "1.", ".5", "+1", "1e", "0x10", "NaN", "-Infinity", "1e400"])
            node_assert_1.strict.throws(() => (0, json_1.parseJson)(bad), json_1.JsonSyntaxError, bad);
    });
    (0, node_test_1.it)("handles strings exactly: escapes, surrogate pairs, no raw control characters", () => {
        node_assert_1.strict.equal((0, json_1.parseJson)('"\\ud83d\\ude00 \\"\\\\\\/\\b\\f\\n\\r\\t"'), '\u{1F600} "\\/\b\f\n\r\t');
        node_assert_1.strict.throws(() => (0, json_1.parseJson)('"a\nb"'), json_1.JsonSyntaxError);
        node_assert_1.strict.throws(() => (0, json_1.parseJson)('"\\u12"'), json_1.JsonSyntaxError);
        node_assert_1.strict.throws(() => (0, json_1.parseJson)('"abc'), json_1.JsonSyntaxError);
    });
    (0, node_test_1.it)("keeps __proto__ as an ordinary key", () => {
        const v = (0, json_1.parseJson)('{"__proto__":{"x":1}}');
        node_assert_1.strict.deepEqual(Object.keys(v), ["__proto__"]);
        node_assert_1.strict.equal((0, json_1.stringify)(v), '{"__proto__":{"x":1}}');
    });
});
