package main

// The AVP envelope (AES-256-GCM under the AAD of §4) and the X25519-HKDF-SHA256-AESGCM-v1 key
// wrap, with the standard library only. An all-zero X25519 result is invalid_key, never a secret.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
)

const schemeID = "X25519-HKDF-SHA256-AESGCM-v1"

var wrapInfo = []byte("avp/rdk-wrap/v1")

// aad is UTF8(repoId) ‖ 0x1F ‖ int64BE(payloadVersion) ‖ int64BE(keyEpoch).
func aad(repoID string, payloadVersion, keyEpoch any) ([]byte, error) {
	pv, err := counter(payloadVersion, "payloadVersion")
	if err != nil {
		return nil, err
	}
	ke, err := counter(keyEpoch, "keyEpoch")
	if err != nil {
		return nil, err
	}
	out := append([]byte(repoID), 0x1f)
	out = binary.BigEndian.AppendUint64(out, uint64(pv))
	return binary.BigEndian.AppendUint64(out, uint64(ke)), nil
}

func gcm(key, iv []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fail("invalid_key", "AES-256-GCM needs a 32-byte key")
	}
	if len(iv) != 12 {
		return nil, fail("invalid_encoding", "the IV must be 12 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fail("invalid_key", "%v", err)
	}
	return cipher.NewGCM(block) // 12-byte nonce, 16-byte tag
}

func gcmSeal(key, iv, ad, plaintext []byte) ([]byte, error) {
	g, err := gcm(key, iv)
	if err != nil {
		return nil, err
	}
	return g.Seal(nil, iv, plaintext, ad), nil
}

func gcmOpen(key, iv, ad, sealed []byte) ([]byte, error) {
	g, err := gcm(key, iv)
	if err != nil {
		return nil, err
	}
	pt, err := g.Open(nil, iv, sealed, ad)
	if err != nil {
		return nil, fail("invalid_tag", "authentication failed")
	}
	return pt, nil
}

func encryptPayload(key []byte, repoID string, pv, ke int64, plaintext, iv []byte) ([]byte, error) {
	ad, err := aad(repoID, pv, ke)
	if err != nil {
		return nil, err
	}
	return gcmSeal(key, iv, ad, plaintext)
}

func decryptPayload(key []byte, repoID string, pv, ke any, iv, ciphertext []byte) ([]byte, error) {
	ad, err := aad(repoID, pv, ke)
	if err != nil {
		return nil, err
	}
	return gcmOpen(key, iv, ad, ciphertext)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return b
}

func x25519Private(raw []byte) (*ecdh.PrivateKey, error) {
	k, err := ecdh.X25519().NewPrivateKey(raw)
	if err != nil {
		return nil, fail("invalid_key", "an X25519 private key is 32 bytes")
	}
	return k, nil
}

// x25519 is the raw function; crypto/ecdh itself refuses the all-zero output of a low-order point.
func x25519(private, peer []byte) ([]byte, error) {
	k, err := x25519Private(private)
	if err != nil {
		return nil, err
	}
	pub, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return nil, fail("invalid_key", "an X25519 public key is 32 bytes")
	}
	shared, err := k.ECDH(pub)
	if err != nil {
		return nil, fail("invalid_key", "X25519 with a low-order public key")
	}
	return shared, nil
}

// deriveKek is HKDF-SHA256(ikm = X25519 output, salt = ephemeral public key, info = scheme label).
func deriveKek(shared, ephemeralPublic []byte) []byte {
	kek, err := hkdf.Key(sha256.New, shared, ephemeralPublic, string(wrapInfo), 32)
	if err != nil {
		panic(err) // 32 bytes is far below HKDF-SHA256's limit
	}
	return kek
}

type wrappedKey struct {
	SchemeID           string `json:"schemeId"`
	EphemeralPublicKey string `json:"ephemeralPublicKey"`
	IV                 string `json:"iv"`
	Ciphertext         string `json:"ciphertext"`
}

func (w wrappedKey) object() object {
	return object{"schemeId": w.SchemeID, "ephemeralPublicKey": w.EphemeralPublicKey, "iv": w.IV, "ciphertext": w.Ciphertext}
}

func wrappedKeyOf(v any) (wrappedKey, bool) {
	o, ok := v.(object)
	if !ok {
		return wrappedKey{}, false
	}
	w := wrappedKey{str(o, "schemeId"), str(o, "ephemeralPublicKey"), str(o, "iv"), str(o, "ciphertext")}
	return w, w.EphemeralPublicKey != "" && w.IV != "" && w.Ciphertext != ""
}

// wrapDataKey wraps to a recipient; ephemeral and iv are fixed only by known-answer checks (nil: random).
func wrapDataKey(dataKey, recipientPublic, ephemeral, iv []byte) (wrappedKey, error) {
	if ephemeral == nil {
		ephemeral = randomBytes(32)
	}
	if iv == nil {
		iv = randomBytes(12)
	}
	eph, err := x25519Private(ephemeral)
	if err != nil {
		return wrappedKey{}, err
	}
	ephPublic := eph.PublicKey().Bytes()
	shared, err := x25519(ephemeral, recipientPublic)
	if err != nil {
		return wrappedKey{}, err
	}
	ct, err := gcmSeal(deriveKek(shared, ephPublic), iv, wrapInfo, dataKey)
	if err != nil {
		return wrappedKey{}, err
	}
	return wrappedKey{schemeID, encodeStd(ephPublic), encodeStd(iv), encodeStd(ct)}, nil
}

func unwrapDataKey(w wrappedKey, recipientPrivate []byte) ([]byte, error) {
	if w.SchemeID != schemeID {
		return nil, fail("unsupported_scheme", "unknown wrap scheme %q", w.SchemeID)
	}
	eph, err1 := decodeStdLen(w.EphemeralPublicKey, 32)
	iv, err2 := decodeStdLen(w.IV, 12)
	ct, err3 := decodeStd(w.Ciphertext)
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, fail("invalid_encoding", "malformed wrapped key")
	}
	// A ciphertext that is not key + tag cannot authenticate: opaque, like any other tampering.
	if len(ct) != 48 {
		return nil, fail("invalid_tag", "authentication failed")
	}
	shared, err := x25519(recipientPrivate, eph)
	if err != nil {
		return nil, err
	}
	return gcmOpen(deriveKek(shared, eph), iv, wrapInfo, ct)
}
