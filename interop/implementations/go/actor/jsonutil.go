package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math/big"
	"regexp"
)

// JSON is read with UseNumber so counters keep their literal text: 1.0, -1 and 2^64 are told
// apart from a safe integer, and numbers inside alt accounts pass through verbatim.

type object = map[string]any

// parseJSON parses exactly one JSON value.
func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail("invalid_encoding", "trailing data after the JSON value")
	}
	return v, nil
}

// toJSON writes v the way JSON.stringify does for our values: no HTML escaping, no newline.
func toJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only maps, slices, strings, bools and json.Number are ever written
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

const maxCounter = 1<<53 - 1

var integerLiteral = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// counter reads a payloadVersion/keyEpoch: an integer in [0, 2^53-1], else counter_out_of_range.
func counter(v any, name string) (int64, error) {
	var text string
	switch n := v.(type) {
	case json.Number:
		text = string(n)
	case int64:
		text = big.NewInt(n).String()
	case int:
		text = big.NewInt(int64(n)).String()
	}
	if integerLiteral.MatchString(text) {
		n, ok := new(big.Int).SetString(text, 10)
		if ok && n.Sign() >= 0 && n.Cmp(big.NewInt(maxCounter)) <= 0 {
			return n.Int64(), nil
		}
	}
	return 0, fail("counter_out_of_range", "%s must be an integer in [0, 2^53-1]", name)
}

func str(o object, name string) string {
	s, _ := o[name].(string)
	return s
}

func isObject(v any) bool {
	_, ok := v.(object)
	return ok
}
