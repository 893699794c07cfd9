//! A strict, zero-copy JSON reader for payload plaintexts (wire contract §3 rules).
//!
//! Hand-written rather than serde_json because the payload model keeps its strings as spans of
//! the decrypted buffer (no allocation per string: the memory goal of opening 100,000 alts) and
//! keeps unknown fields verbatim, numbers included (serde_json would turn a large integer or a
//! float into an `f64`, and its `arbitrary_precision` feature changes the crate globally).
//! Rules: RFC 8259 grammar, no duplicate keys at any depth (keys compared after unescaping), no
//! lone surrogates, depth at most [`MAX_DEPTH`] (the top-level value is depth 1). The input is a
//! `&str`, so UTF-8 was already checked.

use std::borrow::Cow;

use crate::error::{Error, Result};

/// Deepest nesting accepted (the wire contract's limit; the top-level object is depth 1).
pub const MAX_DEPTH: usize = 32;

/// A string of the input: `text[start .. start + len]` between the quotes, JSON-escaped when
/// `escaped` (then [`unescape`] gives its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the first character after the opening quote.
    pub start: u32,
    /// Byte length up to the closing quote.
    pub len: u32,
    /// Whether the span holds at least one backslash escape.
    pub escaped: bool,
}

impl Span {
    /// The string's value within `text` (borrowed unless it holds escapes).
    pub fn value<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let raw = &text[self.start as usize..(self.start + self.len) as usize];
        if self.escaped {
            Cow::Owned(unescape(raw))
        } else {
            Cow::Borrowed(raw)
        }
    }
}

/// A JSON value kept whole (unknown fields): numbers keep their exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written (already checked against the grammar).
    Number(String),
    /// A string value.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, members in input order, keys unique.
    Object(Vec<(String, Json)>),
}

/// What a JSON value starts with, to dispatch on its type before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `{`
    Object,
    /// `[`
    Array,
    /// `"`
    String,
    /// `-` or a digit
    Number,
    /// `true` / `false`
    Bool,
    /// `null`
    Null,
}

impl Kind {
    /// The noun used in error messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Object => "an object",
            Kind::Array => "an array",
            Kind::String => "a string",
            Kind::Number => "a number",
            Kind::Bool => "a boolean",
            Kind::Null => "null",
        }
    }
}

/// A number token: its text and whether it is an integer literal (no fraction, no exponent).
#[derive(Debug, Clone, Copy)]
pub struct Number<'a> {
    /// The literal as written.
    pub text: &'a str,
    /// No `.` and no exponent.
    pub integer: bool,
}

fn syntax(what: &str, pos: usize) -> Error {
    Error::InvalidEncoding(format!("payload JSON: {what} at byte {pos}"))
}

/// A cursor over one JSON text. Objects and arrays are read with callbacks, so a typed reader
/// sees each member as it comes, with no intermediate tree.
pub struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    /// Keys of the objects being read, innermost last (duplicate detection without allocating
    /// per object).
    keys: Vec<Cow<'a, str>>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`. Offsets must fit in `u32`.
    pub fn new(text: &'a str) -> Result<Self> {
        if u32::try_from(text.len()).is_err() {
            return Err(Error::InvalidEncoding(
                "payload JSON larger than 4 GiB".into(),
            ));
        }
        Ok(Reader {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            depth: 0,
            keys: Vec::new(),
        })
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(syntax(&format!("expected '{}'", byte as char), self.pos))
        }
    }

    /// The type of the next value (whitespace skipped).
    pub fn peek(&mut self) -> Result<Kind> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'{') => Ok(Kind::Object),
            Some(b'[') => Ok(Kind::Array),
            Some(b'"') => Ok(Kind::String),
            Some(b'-' | b'0'..=b'9') => Ok(Kind::Number),
            Some(b't' | b'f') => Ok(Kind::Bool),
            Some(b'n') => Ok(Kind::Null),
            Some(_) => Err(syntax("unexpected character", self.pos)),
            None => Err(syntax("unexpected end", self.pos)),
        }
    }

    /// Check that only whitespace follows the top-level value.
    pub fn end(&mut self) -> Result<()> {
        self.skip_ws();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(syntax("trailing characters", self.pos))
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::InvalidEncoding(format!(
                "payload JSON nested deeper than {MAX_DEPTH}"
            )));
        }
        Ok(())
    }

    /// Read an object, calling `member(reader, key)` for each member; the callback must read
    /// the member's value. Duplicate keys are refused.
    pub fn object(&mut self, mut member: impl FnMut(&mut Self, &str) -> Result<()>) -> Result<()> {
        self.expect(b'{')?;
        self.enter()?;
        let mark = self.keys.len();
        if !self.eat(b'}') {
            loop {
                self.skip_ws();
                let span = self.string()?;
                let key = span.value(self.text);
                if self.keys[mark..].contains(&key) {
                    return Err(Error::InvalidEncoding(format!(
                        "payload JSON: duplicate key {key:?}"
                    )));
                }
                self.keys.push(key.clone());
                self.expect(b':')?;
                member(self, &key)?;
                if self.eat(b'}') {
                    break;
                }
                self.expect(b',')?;
            }
        }
        self.keys.truncate(mark);
        self.depth -= 1;
        Ok(())
    }

    /// Read an array, calling `item(reader, index)` for each element (which it must read).
    pub fn array(&mut self, mut item: impl FnMut(&mut Self, usize) -> Result<()>) -> Result<()> {
        self.expect(b'[')?;
        self.enter()?;
        if !self.eat(b']') {
            let mut i = 0;
            loop {
                item(self, i)?;
                i += 1;
                if self.eat(b']') {
                    break;
                }
                self.expect(b',')?;
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Read a string; its span points into the input.
    pub fn string(&mut self) -> Result<Span> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            // SIMD search for the next quote or backslash, then one vectorized pass for controls.
            let rest = &self.bytes[self.pos..];
            let stop = memchr::memchr2(b'"', b'\\', rest)
                .ok_or_else(|| syntax("unterminated string", self.pos))?;
            if needs_escape(&rest[..stop]) {
                let at = rest[..stop].iter().position(|&b| b < 0x20).unwrap_or(0);
                return Err(syntax("control character in a string", self.pos + at));
            }
            self.pos += stop;
            if self.bytes[self.pos] == b'"' {
                break;
            }
            escaped = true;
            self.escape()?;
        }
        let len = self.pos - start;
        self.pos += 1; // closing quote
        Ok(Span {
            start: start as u32,
            len: len as u32,
            escaped,
        })
    }

    /// Check one escape at `pos` (the backslash) and move past it.
    fn escape(&mut self) -> Result<()> {
        let at = self.pos;
        match self.bytes.get(at + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 2;
                Ok(())
            }
            Some(b'u') => {
                let unit = self.hex4(at + 2)?;
                self.pos = at + 6;
                match unit {
                    0xD800..=0xDBFF => {
                        let low = if self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u") {
                            self.hex4(self.pos + 2)?
                        } else {
                            0
                        };
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(syntax("lone surrogate escape", at));
                        }
                        self.pos += 6;
                        Ok(())
                    }
                    0xDC00..=0xDFFF => Err(syntax("lone surrogate escape", at)),
                    _ => Ok(()),
                }
            }
            _ => Err(syntax("invalid escape", at)),
        }
    }

    fn hex4(&self, at: usize) -> Result<u32> {
        let digits = self
            .bytes
            .get(at..at + 4)
            .ok_or_else(|| syntax("short \\u escape", at))?;
        let mut v = 0;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| syntax("invalid \\u escape", at))?;
            v = v * 16 + n;
        }
        Ok(v)
    }

    /// Read a number token (grammar checked).
    pub fn number(&mut self) -> Result<Number<'a>> {
        self.skip_ws();
        let start = self.pos;
        let b = self.bytes;
        let digits = |p: &mut usize| {
            let s = *p;
            while b.get(*p).is_some_and(u8::is_ascii_digit) {
                *p += 1;
            }
            *p > s
        };
        let mut p = self.pos;
        if b.get(p) == Some(&b'-') {
            p += 1;
        }
        match b.get(p) {
            Some(b'0') => p += 1,
            Some(b'1'..=b'9') => {
                digits(&mut p);
            }
            _ => return Err(syntax("invalid number", start)),
        }
        let mut integer = true;
        if b.get(p) == Some(&b'.') {
            p += 1;
            integer = false;
            if !digits(&mut p) {
                return Err(syntax("invalid number", start));
            }
        }
        if let Some(b'e' | b'E') = b.get(p) {
            p += 1;
            integer = false;
            if let Some(b'+' | b'-') = b.get(p) {
                p += 1;
            }
            if !digits(&mut p) {
                return Err(syntax("invalid number", start));
            }
        }
        self.pos = p;
        Ok(Number {
            text: &self.text[start..p],
            integer,
        })
    }

    /// Read `true` or `false`.
    pub fn boolean(&mut self) -> Result<bool> {
        self.skip_ws();
        if self.literal(b"true") {
            Ok(true)
        } else if self.literal(b"false") {
            Ok(false)
        } else {
            Err(syntax("expected a boolean", self.pos))
        }
    }

    /// Read `null` if it comes next; `false` (nothing read) otherwise.
    pub fn null(&mut self) -> bool {
        self.skip_ws();
        self.literal(b"null")
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    /// Read any value whole (for unknown fields).
    pub fn value(&mut self) -> Result<Json> {
        Ok(match self.peek()? {
            Kind::Object => {
                let mut members = Vec::new();
                self.object(|r, key| {
                    members.push((key.to_owned(), r.value()?));
                    Ok(())
                })?;
                Json::Object(members)
            }
            Kind::Array => {
                let mut items = Vec::new();
                self.array(|r, _| {
                    items.push(r.value()?);
                    Ok(())
                })?;
                Json::Array(items)
            }
            Kind::String => Json::String(self.string()?.value(self.text).into_owned()),
            Kind::Number => Json::Number(self.number()?.text.to_owned()),
            Kind::Bool => Json::Bool(self.boolean()?),
            Kind::Null => {
                if !self.null() {
                    return Err(syntax("expected null", self.pos));
                }
                Json::Null
            }
        })
    }
}

/// The value of a JSON string body whose escapes [`Reader::string`] already checked.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let b = rest.as_bytes();
        let (ch, used) = match b[i + 1] {
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            b'u' => {
                let unit = u32::from_str_radix(&rest[i + 2..i + 6], 16).unwrap_or(0xFFFD);
                if (0xD800..=0xDBFF).contains(&unit) {
                    let low = u32::from_str_radix(&rest[i + 8..i + 12], 16).unwrap_or(0);
                    let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    (char::from_u32(c).unwrap_or('\u{FFFD}'), 12)
                } else {
                    (char::from_u32(unit).unwrap_or('\u{FFFD}'), 6)
                }
            }
            other => (other as char, 2), // '"', '\\', '/'
        };
        out.push(ch);
        rest = &rest[i + used..];
    }
    out.push_str(rest);
    out
}

/// Whether `bytes` hold a character JSON must escape (`"`, `\\`, C0 controls). Branch-free so
/// the compiler vectorizes it.
pub fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |acc, &b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// Append `s` as a JSON string (quotes included), escaping as Python's `json.dumps` with
/// `ensure_ascii=False` does: `"` `\` and the C0 controls, nothing else.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    write_escaped_body(out, s);
    out.push(b'"');
}

/// Append the body of `s` as a JSON string, without the quotes.
pub fn write_escaped_body(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
        return;
    }
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0x00..=0x1f => 0,
            _ => continue,
        };
        out.extend_from_slice(&bytes[from..i]);
        if short == 0 {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
        from = i + 1;
    }
    out.extend_from_slice(&bytes[from..]);
}

/// Append a kept value in minified form (numbers as written).
pub fn write_value(out: &mut Vec<u8>, value: &Json) {
    match value {
        Json::Null => out.extend_from_slice(b"null"),
        Json::Bool(true) => out.extend_from_slice(b"true"),
        Json::Bool(false) => out.extend_from_slice(b"false"),
        Json::Number(text) => out.extend_from_slice(text.as_bytes()),
        Json::String(s) => write_string(out, s),
        Json::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Json::Object(members) => {
            out.push(b'{');
            for (i, (key, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, key);
                out.push(b':');
                write_value(out, item);
            }
            out.push(b'}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Json> {
        let mut r = Reader::new(text)?;
        let v = r.value()?;
        r.end()?;
        Ok(v)
    }

    /// Syntax verdicts agree with serde_json (an independent parser) wherever our extra rules
    /// (duplicates, depth) do not apply.
    #[test]
    fn grammar_agrees_with_serde_json() {
        let cases = [
            "0",
            "-0",
            "1",
            "-1",
            "01",
            "1.",
            ".5",
            "1.5",
            "1e5",
            "1E+5",
            "1e-5",
            "1e",
            "+1",
            "-",
            "--1",
            "1.5e3",
            "0x10",
            "true",
            "tru",
            "false",
            "null",
            "nul",
            "\"a\"",
            "\"a",
            "\"\\u00e9\"",
            "\"\\u00g9\"",
            "\"\\x\"",
            "\"\\/\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"\\ud83dx\"",
            "\"\t\"",
            "\"\u{7f}\"",
            "[]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{}",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "{\"a\":1}",
            " [ 1 , { \"b\" : [ ] } ] ",
            "[1] x",
            "",
            " ",
            "NaN",
            "Infinity",
            "-Infinity",
            "[\"é😀\"]",
            "\"\u{2028}\"",
        ];
        for case in cases {
            let ours = parse(case).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(case).is_ok();
            assert_eq!(ours, theirs, "{case:?}");
        }
    }

    #[test]
    fn strings_round_trip_through_unescape_and_write() {
        for case in [
            "\"plain\"",
            "\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\"",
            "\"\\u0001\\u001f\\u00e9\\u20ac\\ud83d\\ude00\"",
        ] {
            let mut r = Reader::new(case).unwrap();
            let span = r.string().unwrap();
            let value = span.value(case).into_owned();
            let expected: String = serde_json::from_str(case).unwrap();
            assert_eq!(value, expected);
            let mut out = Vec::new();
            write_string(&mut out, &value);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, expected);
        }
        let mut out = Vec::new();
        write_string(&mut out, "a\u{1}\u{7f}\u{2028}é\"");
        assert_eq!(out, "\"a\\u0001\u{7f}\u{2028}é\\\"\"".as_bytes());
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth_after_unescaping() {
        assert!(parse(r#"{"a":1,"b":2}"#).is_ok());
        assert!(parse(r#"{"a":1,"a":2}"#).is_err());
        assert!(parse(r#"{"a":1,"\u0061":2}"#).is_err());
        assert!(parse(r#"[{"x":{"a":1,"a":1}}]"#).is_err());
        // The same key in sibling or nested objects is fine.
        assert!(parse(r#"{"a":{"a":1},"b":{"a":2}}"#).is_ok());
    }

    #[test]
    fn depth_is_limited_to_32() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(&nest(MAX_DEPTH)).is_ok());
        assert!(parse(&nest(MAX_DEPTH + 1)).is_err());
        assert!(parse(&nest(100_000)).is_err()); // no stack overflow
    }

    #[test]
    fn kept_values_serialize_minified_with_numbers_verbatim() {
        let v =
            parse(r#"{ "n": [1.50, 1E400, 123456789012345678901234567890, -0], "s": "\u00e9" }"#)
                .unwrap();
        let mut out = Vec::new();
        write_value(&mut out, &v);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"n":[1.50,1E400,123456789012345678901234567890,-0],"s":"é"}"#
        );
    }
}
