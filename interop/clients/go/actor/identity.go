package main

// Sealed identities (avp-identity v1). The standard library has no Argon2id, so the one step this
// actor cannot recompute is the KDF: it takes the Argon2id output from the vector's checker aid
// (derivedKeyHex; Python and Rust recompute it) and checks everything else: format, secret
// normalization rules, slot choice, parameter limits, the AAD, AES-GCM and the derived public keys.

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

func checkSlotSecret(kind, text string) error {
	if kind == "passphrase" {
		if text == "" {
			return fail("invalid_key", "the empty passphrase is refused")
		}
		return nil
	}
	if !recoveryCode.MatchString(strings.ToUpper(recoverySeparators.Replace(text))) {
		return fail("invalid_encoding", "a recovery code is 32 base32 characters")
	}
	return nil
}

// openIdentity opens a sealed blob with derivedKeyHex standing in for Argon2id; it returns the
// stated public keys once the secrets inside are shown to match them.
func openIdentity(sealedValue any, kind, secret, derivedKeyHex string) (string, string, error) {
	sealed, _ := sealedValue.(object)
	if sealed["format"] != "avp-identity" || sealed["version"] != json.Number("1") {
		return "", "", fail("unsupported_scheme", "unknown format or version")
	}
	if err := checkSlotSecret(kind, secret); err != nil {
		return "", "", err
	}
	slots, _ := sealed["slots"].([]any)
	var slot object
	for _, raw := range slots {
		if s, _ := raw.(object); s["kind"] == kind && slot == nil {
			slot = s
		}
	}
	if slot == nil {
		return "", "", fail("invalid_passphrase", "no slot of kind %s", kind)
	}
	kdf, _ := slot["kdf"].(object)
	if kdf["name"] != "argon2id" || kdf["version"] != json.Number("19") || slot["cipher"] != "AES-256-GCM" {
		return "", "", fail("unsupported_scheme", "unknown KDF or cipher")
	}
	iv, err := decodeStdLen(str(slot, "iv"), 12)
	if err != nil {
		return "", "", err
	}
	ciphertext, err := decodeStdLen(str(slot, "ciphertext"), 80)
	if err != nil {
		return "", "", err
	}
	ed, x := str(sealed, "ed25519PublicKey"), str(sealed, "x25519PublicKey")
	if _, err := decodeStdLen(ed, 32); err != nil {
		return "", "", err
	}
	if _, err := decodeStdLen(x, 32); err != nil {
		return "", "", err
	}
	for name, limit := range kdfLimits {
		if v, err := counter(kdf[name], name); err != nil || v > limit {
			return "", "", fail("invalid_encoding", "%s missing or above the limit %d: refused before any work", name, limit)
		}
	}
	if _, err := decodeStd(str(kdf, "salt")); err != nil {
		return "", "", err
	}
	slotKey, err := hex.DecodeString(derivedKeyHex)
	if err != nil || len(slotKey) != 32 {
		return "", "", fail("unsupported", "no derivedKeyHex checker aid for a case that reaches the KDF")
	}
	ad := []byte("avp-identity/v1\x1f" + kind + "\x1f" + ed + "\x1f" + x)
	plain, err := gcmOpen(slotKey, iv, ad, ciphertext)
	if err != nil {
		return "", "", fail("invalid_passphrase", "the passphrase or recovery code does not open this identity")
	}
	xKey, err := x25519Private(plain[32:])
	if err != nil {
		return "", "", err
	}
	edPublic := ed25519.NewKeyFromSeed(plain[:32]).Public().(ed25519.PublicKey)
	if encodeStd(edPublic) != ed || encodeStd(xKey.PublicKey().Bytes()) != x {
		return "", "", fail("invalid_encoding", "the sealed secrets do not match the stated public keys")
	}
	return ed, x, nil
}
