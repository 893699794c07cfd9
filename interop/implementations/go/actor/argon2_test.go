package main

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// RFC 7693 Appendix A: BLAKE2b-512("abc").
func TestBlake2bRFC7693(t *testing.T) {
	want := "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
	if got := hex.EncodeToString(blake2b([]byte("abc"), 64)); got != want {
		t.Errorf("BLAKE2b-512(abc) = %s", got)
	}
}

// RFC 9106 §5.3: Argon2id with secret and associated data, 32 KiB, 3 passes, 4 lanes.
func TestArgon2idRFC9106(t *testing.T) {
	got := argon2id(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16), argon2Params{
		memoryKib: 32, iterations: 3, parallelism: 4, tagLength: 32,
		secret: bytes.Repeat([]byte{3}, 8), associatedData: bytes.Repeat([]byte{4}, 12),
	})
	if want := "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"; hex.EncodeToString(got) != want {
		t.Errorf("Argon2id = %x, want %s", got, want)
	}
}
