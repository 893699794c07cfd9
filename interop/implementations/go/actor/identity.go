package main

// Sealed identities (avp-identity v1): a slot's key is Argon2id (argon2.go) of the passphrase
// (NFC, UTF-8) or of the recovery code (32 base32 characters; case, '-' and whitespace ignored);
// AES-256-GCM under an AAD naming the slot kind and both public keys opens the 64 secret bytes,
// whose public keys must equal the stated ones. The standard library has no Unicode normalization:
// a non-ASCII passphrase (which may need NFC) takes its slot key from the vector's checker aid
// derivedKeyHex instead of recomputing it.

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
)

var (
	recoveryCode       = regexp.MustCompile(`^[A-Z2-7]{32}$`)
	recoverySeparators = strings.NewReplacer("-", "", " ", "", "\t", "", "\n", "", "\r", "", "\f", "", "\v", "")
	kdfLimits          = map[string]int64{"memoryKib": 1 << 20, "iterations": 64, "parallelism": 16}
)

// slotSecret is the bytes a slot is keyed with; nil (and no error) for a non-ASCII passphrase,
// whose NFC form this actor cannot compute.
func slotSecret(kind, text string) ([]byte, error) {
	if kind == "passphrase" {
		if text == "" {
			return nil, fail("invalid_key", "the empty passphrase is refused")
		}
		for _, r := range text {
			if r >= 0x80 {
				return nil, nil
			}
		}
		return []byte(text), nil // ASCII is its own NFC
	}
	code := strings.ToUpper(recoverySeparators.Replace(text))
	if !recoveryCode.MatchString(code) {
		return nil, fail("invalid_encoding", "a recovery code is 32 base32 characters")
	}
	return []byte(code), nil
}

type openedIdentity struct {
	ed25519PublicKey, x25519PublicKey string
	slotKey                           []byte // the Argon2id output that opened the slot
}

// openIdentity opens a sealed blob and returns the stated public keys once the secrets inside are
// shown to match them. derivedKeyHex is used only for a passphrase this actor cannot normalize.
func openIdentity(sealedValue any, kind, secret, derivedKeyHex string) (openedIdentity, error) {
	var none openedIdentity
	sealed, _ := sealedValue.(object)
	if sealed["format"] != "avp-identity" || sealed["version"] != json.Number("1") {
		return none, fail("unsupported_scheme", "unknown format or version")
	}
	secretBytes, err := slotSecret(kind, secret)
	if err != nil {
		return none, err
	}
	slots, _ := sealed["slots"].([]any)
	var slot object
	for _, raw := range slots {
		if s, _ := raw.(object); s["kind"] == kind && slot == nil {
			slot = s
		}
	}
	if slot == nil {
		return none, fail("invalid_passphrase", "no slot of kind %s", kind)
	}
	kdf, _ := slot["kdf"].(object)
	if kdf["name"] != "argon2id" || kdf["version"] != json.Number("19") || slot["cipher"] != "AES-256-GCM" {
		return none, fail("unsupported_scheme", "unknown KDF or cipher")
	}
	iv, err := decodeStdLen(str(slot, "iv"), 12)
	if err != nil {
		return none, err
	}
	ciphertext, err := decodeStdLen(str(slot, "ciphertext"), 80)
	if err != nil {
		return none, err
	}
	ed, x := str(sealed, "ed25519PublicKey"), str(sealed, "x25519PublicKey")
	if _, err := decodeStdLen(ed, 32); err != nil {
		return none, err
	}
	if _, err := decodeStdLen(x, 32); err != nil {
		return none, err
	}
	params := map[string]int64{}
	for name, limit := range kdfLimits {
		v, err := counter(kdf[name], name)
		if err != nil || v < 1 || v > limit {
			return none, fail("invalid_encoding", "%s missing, below 1 or above the limit %d: refused before any work", name, limit)
		}
		params[name] = v
	}
	if params["memoryKib"] < 8*params["parallelism"] {
		return none, fail("invalid_encoding", "memoryKib below 8 x parallelism")
	}
	salt, err := decodeStd(str(kdf, "salt"))
	if err != nil || len(salt) < 8 {
		return none, fail("invalid_encoding", "the salt is not strict base64 of at least 8 bytes")
	}
	slotKey, err := hex.DecodeString(derivedKeyHex)
	if secretBytes != nil {
		slotKey, err = argon2id(secretBytes, salt, argon2Params{
			memoryKib: int(params["memoryKib"]), iterations: int(params["iterations"]),
			parallelism: int(params["parallelism"]), tagLength: 32,
		}), nil
	}
	if err != nil || len(slotKey) != 32 {
		return none, fail("unsupported", "a non-ASCII passphrase needs NFC and this case has no derivedKeyHex")
	}
	ad := []byte("avp-identity/v1\x1f" + kind + "\x1f" + ed + "\x1f" + x)
	plain, err := gcmOpen(slotKey, iv, ad, ciphertext)
	if err != nil {
		return none, fail("invalid_passphrase", "the passphrase or recovery code does not open this identity")
	}
	xKey, err := x25519Private(plain[32:])
	if err != nil {
		return none, err
	}
	edPublic := ed25519.NewKeyFromSeed(plain[:32]).Public().(ed25519.PublicKey)
	if encodeStd(edPublic) != ed || encodeStd(xKey.PublicKey().Bytes()) != x {
		return none, fail("invalid_encoding", "the sealed secrets do not match the stated public keys")
	}
	return openedIdentity{ed, x, slotKey}, nil
}
