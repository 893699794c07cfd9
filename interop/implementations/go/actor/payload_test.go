package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func payloadCase(t *testing.T, name string) object {
	t.Helper()
	for _, raw := range readJSON(t, filepath.Join(vectorsDir, "payload-parse.json"))["cases"].([]any) {
		if c := raw.(object); c["name"] == name {
			return c
		}
	}
	t.Fatalf("no case %s", name)
	return nil
}

// Each stated value of a payload-parse case is checked: changing one fails the case.
func TestPayloadParseMutationsFail(t *testing.T) {
	mutations := map[string]func(c object){
		"accept/every-field":            func(c object) { c["strippedUtf8"] = c["canonicalUtf8"] },
		"accept/minimal":                func(c object) { c["altCount"] = c["payloadVersion"] },
		"reject/counter/last-used-2^53": func(c object) { c["expectedError"] = "invalid_encoding" },
		"reject/type/uuid-number":       func(c object) { c["verdict"] = "accept" },
	}
	for name, mutate := range mutations {
		c := payloadCase(t, name)
		if reason := runCase(checkPayloadParse, c, nil); reason != "" {
			t.Fatalf("%s fails before the mutation: %s", name, reason)
		}
		mutate(c)
		if reason := runCase(checkPayloadParse, c, nil); reason == "" {
			t.Errorf("%s: the mutated case passes", name)
		}
	}
}

// The reader's edges beyond the file: surrogate escapes, depth of objects, whitespace after the value.
func TestStrictReader(t *testing.T) {
	accepted := []string{`"\\ud800"`, `"\ud83d\ude00"`, `"\u00e9"`, `[1] ` + "\n", `{"a":{"A":1}}`,
		strings.Repeat(`{"a":`, 32) + "1" + strings.Repeat("}", 32)}
	refused := []string{`"\ud800\u0041"`, `"\udc00"`, `"\ud800"x`, `{"a":1,}`, `[1 2]`, `{"a" 1}`, `01`, `+1`,
		`'a'`, `[1]]`, ``, strings.Repeat(`{"a":`, 33) + "1" + strings.Repeat("}", 33)}
	for _, text := range accepted {
		if _, err := readStrictJSON([]byte(text)); err != nil {
			t.Errorf("%q refused: %v", text, err)
		}
	}
	for _, text := range refused {
		if _, err := readStrictJSON([]byte(text)); codeOf(err) != "invalid_encoding" {
			t.Errorf("%q: %v, want invalid_encoding", text, err)
		}
	}
}
