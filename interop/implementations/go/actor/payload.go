package main

// The payload plaintext rules (vectors/payload-parse.json): a strict reader over encoding/json's
// token stream (Decode into a map would keep the last of duplicate keys and lose member order) and
// the canonical writer.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

const maxPayloadDepth = 32 // the payload object is depth 1

var altTypes = []string{"MICROSOFT", "COOKIE", "SESSION", "OFFLINE"}

// altKnown: the members the writer places itself; every other alt member is written first, verbatim.
var altKnown = []string{"uuid", "username", "accessToken", "type", "lastUsed", "refreshToken", "expiresAt",
	"lastUsedBy", "sourceClient", "sourceUser", "bans", "ban"}

type jsonMember struct {
	key   string
	value any
}

// orderedObject is a JSON object with its members in input order (values: orderedObject, []any,
// string, json.Number, bool or nil).
type orderedObject []jsonMember

func (o orderedObject) get(key string) (any, bool) {
	for _, m := range o {
		if m.key == key {
			return m.value, true
		}
	}
	return nil, false
}

func invalidPayload(why string) error { return fail("invalid_encoding", "payload: %s", why) }

// readStrictJSON reads exactly one JSON value: UTF-8 without BOM, no duplicate member names (after
// unescaping), no lone surrogate escape, containers no deeper than maxPayloadDepth.
func readStrictJSON(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, invalidPayload("not UTF-8")
	}
	if err := checkSurrogateEscapes(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readValue(dec, 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidPayload("trailing data after the JSON value")
	}
	return v, nil
}

// checkSurrogateEscapes refuses a \uD800-\uDFFF escape that is not a high+low pair (encoding/json
// would turn it into U+FFFD silently). Outside strings a backslash is a syntax error anyway.
func checkSurrogateEscapes(data []byte) error {
	escape := func(at int) (rune, bool) {
		if at+6 > len(data) || data[at] != '\\' || data[at+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(data[at+2:at+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		r, ok := escape(i)
		switch {
		case !ok:
			i++ // a short escape such as \" or \\ (a malformed one is the decoder's to refuse)
		case r >= 0xD800 && r <= 0xDBFF:
			low, paired := escape(i + 6)
			if !paired || low < 0xDC00 || low > 0xDFFF {
				return invalidPayload("lone surrogate escape")
			}
			i += 11
		case r >= 0xDC00 && r <= 0xDFFF:
			return invalidPayload("lone surrogate escape")
		default:
			i += 5
		}
	}
	return nil
}

func readValue(dec *json.Decoder, depth int) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, invalidPayload(err.Error())
	}
	delim, isDelim := tok.(json.Delim)
	if !isDelim {
		return tok, nil
	}
	if depth > maxPayloadDepth {
		return nil, invalidPayload("nested deeper than 32")
	}
	var obj orderedObject
	list := []any{}
	for dec.More() {
		var key string
		if delim == '{' {
			if tok, err = dec.Token(); err != nil {
				return nil, invalidPayload(err.Error())
			}
			key, _ = tok.(string)
			if _, dup := obj.get(key); dup {
				return nil, invalidPayload("duplicate member " + strconv.Quote(key))
			}
		}
		v, err := readValue(dec, depth+1)
		if err != nil {
			return nil, err
		}
		if delim == '{' {
			obj = append(obj, jsonMember{key, v})
		} else {
			list = append(list, v)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter (a trailing comma fails here)
		return nil, invalidPayload(err.Error())
	}
	if delim == '{' {
		return obj, nil
	}
	return list, nil
}

// writeString escapes only the quote, the backslash and U+0000-U+001F.
func writeString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteString(strconv.FormatInt(int64(r)>>4, 16))
				b.WriteString(strconv.FormatInt(int64(r)&15, 16))
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// writeValue writes minified JSON, numbers as read.
func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		b.WriteString(string(x))
	case string:
		writeString(b, x)
	case []any:
		b.WriteByte('[')
		for i, item := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, item)
		}
		b.WriteByte(']')
	case orderedObject:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, m.key)
			b.WriteByte(':')
			writeValue(b, m.value)
		}
		b.WriteByte('}')
	}
}

// fieldWriter writes the members of one canonical object; the first error sticks.
type fieldWriter struct {
	b   *strings.Builder
	n   int
	err error
}

func (w *fieldWriter) raw(key string, write func()) {
	if w.n > 0 {
		w.b.WriteByte(',')
	}
	w.n++
	writeString(w.b, key)
	w.b.WriteByte(':')
	write()
}

func (w *fieldWriter) text(o orderedObject, key string, required bool) {
	v, _ := o.get(key)
	if v == nil && !required {
		return
	}
	s, ok := v.(string)
	if !ok {
		w.setErr(invalidPayload(key + " must be a string"))
		return
	}
	w.raw(key, func() { writeString(w.b, s) })
}

func (w *fieldWriter) counter(o orderedObject, key string, required bool) {
	v, _ := o.get(key)
	if v == nil && !required {
		return
	}
	n, err := payloadCounter(v, key)
	if err != nil {
		w.setErr(err)
		return
	}
	w.raw(key, func() { w.b.WriteString(strconv.FormatInt(n, 10)) })
}

func (w *fieldWriter) setErr(err error) {
	if w.err == nil {
		w.err = err
	}
}

// payloadCounter: a number that is not an integer in [0, 2^53-1] is counter_out_of_range, any
// other type invalid_encoding.
func payloadCounter(v any, key string) (int64, error) {
	if _, isNumber := v.(json.Number); !isNumber {
		return 0, invalidPayload(key + " must be a number")
	}
	return counter(v, key)
}

func writeBan(b *strings.Builder, v any) error {
	ban, ok := v.(orderedObject)
	banned, _ := ban.get("banned")
	if _, isBool := banned.(bool); !ok || !isBool {
		return invalidPayload("a ban needs a boolean banned")
	}
	b.WriteByte('{')
	w := &fieldWriter{b: b}
	w.raw("banned", func() { b.WriteString(strconv.FormatBool(banned.(bool))) })
	w.counter(ban, "observedAt", true)
	w.text(ban, "source", true)
	w.text(ban, "detail", true)
	w.text(ban, "observedBy", false)
	b.WriteByte('}')
	return w.err
}

func writeBans(w *fieldWriter, alt orderedObject) {
	bans, _ := alt.get("bans")
	legacy, _ := alt.get("ban")
	explicit, isObject := bans.(orderedObject)
	if bans != nil && !isObject {
		w.setErr(invalidPayload("bans must be an object"))
		return
	}
	entries := append(orderedObject{}, explicit...)
	if _, hasUnknown := explicit.get("unknown"); legacy != nil && !hasUnknown {
		entries = append(entries, jsonMember{"unknown", legacy})
	} else if legacy != nil {
		var discard strings.Builder // the map's own entry wins, but the legacy field must still be a ban
		w.setErr(writeBan(&discard, legacy))
	}
	if bans == nil && legacy == nil {
		return
	}
	w.raw("bans", func() {
		w.b.WriteByte('{')
		for i, e := range entries {
			if i > 0 {
				w.b.WriteByte(',')
			}
			writeString(w.b, e.key)
			w.b.WriteByte(':')
			w.setErr(writeBan(w.b, e.value))
		}
		w.b.WriteByte('}')
	})
}

func writeAlt(b *strings.Builder, v any, shareRefreshTokens bool) error {
	alt, ok := v.(orderedObject)
	if !ok {
		return invalidPayload("an alt must be an object")
	}
	b.WriteByte('{')
	w := &fieldWriter{b: b}
	for _, m := range alt {
		if !slices.Contains(altKnown, m.key) {
			w.raw(m.key, func() { writeValue(b, m.value) })
		}
	}
	w.text(alt, "uuid", true)
	w.text(alt, "username", true)
	w.text(alt, "accessToken", true)
	if kind, _ := alt.get("type"); !slices.Contains(altTypes, fmt.Sprint(kind)) {
		w.setErr(invalidPayload("type must be one of " + strings.Join(altTypes, ", ")))
	}
	w.text(alt, "type", true)
	w.counter(alt, "lastUsed", true)
	// Policy off: the refresh token and its expiry are read (and type-checked) but not written.
	written := w.b.Len()
	w.text(alt, "refreshToken", false)
	w.counter(alt, "expiresAt", false)
	if !shareRefreshTokens {
		truncate(b, written)
	}
	w.text(alt, "lastUsedBy", false)
	w.text(alt, "sourceClient", false)
	w.text(alt, "sourceUser", false)
	writeBans(w, alt)
	b.WriteByte('}')
	return w.err
}

// truncate drops what was written after n bytes.
func truncate(b *strings.Builder, n int) {
	kept := b.String()[:n]
	b.Reset()
	b.WriteString(kept)
}

// canonicalPayload parses a payload plaintext strictly and writes it back canonically.
func canonicalPayload(plaintext []byte, shareRefreshTokens bool) (canonical string, version int64, altCount int, err error) {
	doc, err := readStrictJSON(plaintext)
	if err != nil {
		return "", 0, 0, err
	}
	payload, ok := doc.(orderedObject)
	if !ok {
		return "", 0, 0, invalidPayload("the payload must be an object")
	}
	rawAlts, _ := payload.get("alts")
	alts, ok := rawAlts.([]any)
	if !ok {
		return "", 0, 0, invalidPayload("alts must be an array")
	}
	var b strings.Builder
	b.WriteString(`{"alts":[`)
	for i, alt := range alts {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeAlt(&b, alt, shareRefreshTokens); err != nil {
			return "", 0, 0, err
		}
	}
	rawVersion, _ := payload.get("payloadVersion")
	if version, err = payloadCounter(rawVersion, "payloadVersion"); err != nil {
		return "", 0, 0, err
	}
	b.WriteString(`],"payloadVersion":` + strconv.FormatInt(version, 10) + "}")
	return b.String(), version, len(alts), nil
}
