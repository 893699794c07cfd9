"use strict";
// A strict JSON reader and the matching writer. JSON.parse cannot see what the wire contract
// rejects (duplicate keys, nesting depth, `1.0` vs `1` for counters, lone surrogates) nor keep a
// number it cannot represent (2^53+1) for verbatim passthrough of unknown manifest fields.
// Like the Python server, a `\ud800` escape (lone surrogate) is legal JSON and is kept; fields
// with stricter rules (repoId) reject it themselves.
Object.defineProperty(exports, "__esModule", { value: true });
exports.MAX_DEPTH = exports.JsonSyntaxError = exports.RawNumber = void 0;
exports.parseJsonBytes = parseJsonBytes;
exports.parseJson = parseJson;
exports.isObject = isObject;
exports.freeze = freeze;
exports.stringify = stringify;
/** A number literal kept as its source text: not an integer literal, or outside the safe range. */
class RawNumber {
    text;
    constructor(text) {
        this.text = text;
    }
}
exports.RawNumber = RawNumber;
class JsonSyntaxError extends Error {
}
exports.JsonSyntaxError = JsonSyntaxError;
exports.MAX_DEPTH = 32;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Parse UTF-8 bytes (no BOM). Integer literals in the safe range become numbers; other numbers RawNumber. */
function parseJsonBytes(bytes, maxDepth = exports.MAX_DEPTH) {
    let text;
    try {
        text = utf8.decode(bytes);
    }
    catch {
        throw new JsonSyntaxError("body is not valid UTF-8");
    }
    return parseJson(text, maxDepth);
}
function parseJson(text, maxDepth = exports.MAX_DEPTH) {
    const p = new Parser(text, maxDepth);
    p.ws();
    const v = p.value(0);
    p.ws();
    if (p.i !== text.length)
        p.fail("trailing characters after the JSON value");
    return v;
}
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const PLAIN = /[^"\\\u0000-\u001f]*/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
class Parser {
    s;
    maxDepth;
    i = 0;
    constructor(s, maxDepth) {
        this.s = s;
        this.maxDepth = maxDepth;
    }
    fail(msg) {
        throw new JsonSyntaxError(`${msg} at offset ${this.i}`);
    }
    ws() {
        const s = this.s;
        while (this.i < s.length) {
            const c = s.charCodeAt(this.i);
            if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)
                break;
            this.i++;
        }
    }
    value(depth) {
        const c = this.s[this.i];
        switch (c) {
            case "{":
                return this.object(depth + 1);
            case "[":
                return this.array(depth + 1);
            case '"':
                return this.string();
            case "t":
                return this.literal("true", true);
            case "f":
                return this.literal("false", false);
            case "n":
                return this.literal("null", null);
            default:
                return this.number();
        }
    }
    literal(word, v) {
        if (!this.s.startsWith(word, this.i))
            this.fail("invalid literal");
        this.i += word.length;
        return v;
    }
    number() {
        NUMBER.lastIndex = this.i;
        const m = NUMBER.exec(this.s);
        if (m === null)
            this.fail("unexpected character");
        this.i += m[0].length;
        if (m[1] === undefined && m[2] === undefined) {
            const n = Number(m[0]);
            // -0 is the integer 0; beyond ±(2^53-1) the double no longer names the literal.
            if (Number.isSafeInteger(n))
                return n === 0 ? 0 : n;
        }
        else if (!Number.isFinite(Number(m[0]))) {
            this.fail("number out of range"); // 1e400: no double can hold it, as the Python server rules
        }
        return new RawNumber(m[0]);
    }
    string() {
        const s = this.s;
        this.i++; // opening quote
        let out = "";
        for (;;) {
            PLAIN.lastIndex = this.i;
            const run = PLAIN.exec(s);
            if (run !== null && run[0].length > 0) {
                out += run[0];
                this.i += run[0].length;
            }
            if (this.i >= s.length)
                this.fail("unterminated string");
            const c = s[this.i];
            if (c === '"') {
                this.i++;
                break;
            }
            if (c !== "\\")
                this.fail("control character in string");
            const e = s[this.i + 1];
            this.i += 2;
            switch (e) {
                case '"':
                    out += '"';
                    break;
                case "\\":
                    out += "\\";
                    break;
                case "/":
                    out += "/";
                    break;
                case "b":
                    out += "\b";
                    break;
                case "f":
                    out += "\f";
                    break;
                case "n":
                    out += "\n";
                    break;
                case "r":
                    out += "\r";
                    break;
                case "t":
                    out += "\t";
                    break;
                case "u":
                    out += String.fromCharCode(this.hex4());
                    break;
                default:
                    this.i -= 2;
                    this.fail("invalid escape");
            }
        }
        return out;
    }
    hex4() {
        const h = this.s.slice(this.i, this.i + 4);
        if (!HEX4.test(h))
            this.fail("invalid \\u escape");
        this.i += 4;
        return parseInt(h, 16);
    }
    object(depth) {
        if (depth > this.maxDepth)
            this.fail("nesting too deep");
        this.i++;
        const obj = Object.create(null);
        this.ws();
        if (this.s[this.i] === "}") {
            this.i++;
            return obj;
        }
        for (;;) {
            if (this.s[this.i] !== '"')
                this.fail("expected a string key");
            const key = this.string();
            if (Object.prototype.hasOwnProperty.call(obj, key))
                this.fail("duplicate key");
            this.ws();
            if (this.s[this.i] !== ":")
                this.fail("expected ':'");
            this.i++;
            this.ws();
            obj[key] = this.value(depth);
            this.ws();
            const c = this.s[this.i];
            this.i++;
            if (c === "}")
                return obj;
            if (c !== ",")
                this.fail("expected ',' or '}'");
            this.ws();
        }
    }
    array(depth) {
        if (depth > this.maxDepth)
            this.fail("nesting too deep");
        this.i++;
        const arr = [];
        this.ws();
        if (this.s[this.i] === "]") {
            this.i++;
            return arr;
        }
        for (;;) {
            arr.push(this.value(depth));
            this.ws();
            const c = this.s[this.i];
            this.i++;
            if (c === "]")
                return arr;
            if (c !== ",")
                this.fail("expected ',' or ']'");
            this.ws();
        }
    }
}
function isObject(v) {
    return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RawNumber);
}
// Serialized text of objects promised never to change again (stored manifests and envelopes), so
// serving a 64 KiB envelope does not re-escape it on every pull.
const frozenText = new WeakMap();
const frozen = new WeakSet();
/** Promise that `o` is never mutated again: its serialization may then be computed once. */
function freeze(o) {
    frozen.add(o);
}
/** Serialize, writing RawNumber text verbatim; keys in insertion order. */
function stringify(v) {
    if (v === undefined || v === null)
        return "null";
    if (typeof v === "string")
        return JSON.stringify(v);
    if (typeof v === "number" || typeof v === "boolean")
        return JSON.stringify(v);
    if (v instanceof RawNumber)
        return v.text;
    if (Array.isArray(v))
        return "[" + v.map(stringify).join(",") + "]";
    if (!frozen.has(v))
        return objectText(v);
    let text = frozenText.get(v);
    if (text === undefined) {
        text = objectText(v);
        frozenText.set(v, text);
    }
    return text;
}
function objectText(v) {
    const parts = [];
    for (const k of Object.keys(v)) {
        const item = v[k];
        if (item !== undefined)
            parts.push(JSON.stringify(k) + ":" + stringify(item));
    }
    return "{" + parts.join(",") + "}";
}
