package main

import "encoding/base64"

// Strict base64: Go's decoders skip '\r' and '\n' even in Strict mode, so the alphabet is
// checked first; Strict() then rejects non-zero trailing bits.

func onlyAlphabet(s string, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		for j := 0; !ok && j < len(extra); j++ {
			ok = c == extra[j]
		}
		if !ok {
			return false
		}
	}
	return true
}

// decodeStd decodes canonical standard base64 with padding.
func decodeStd(s string) ([]byte, error) {
	if !onlyAlphabet(s, "+/=") || len(s)%4 != 0 {
		return nil, fail("invalid_encoding", "not canonical standard base64")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fail("invalid_encoding", "not canonical standard base64")
	}
	return b, nil
}

// decodeStdLen decodes canonical standard base64 of exactly n bytes.
func decodeStdLen(s string, n int) ([]byte, error) {
	b, err := decodeStd(s)
	if err == nil && len(b) != n {
		err = fail("invalid_encoding", "%d bytes where %d are required", len(b), n)
	}
	return b, err
}

// decodeURL decodes canonical base64url without padding.
func decodeURL(s string) ([]byte, error) {
	if !onlyAlphabet(s, "-_") {
		return nil, fail("invalid_encoding", "not canonical base64url without padding")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fail("invalid_encoding", "not canonical base64url without padding")
	}
	return b, nil
}

func encodeStd(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
func encodeURL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
