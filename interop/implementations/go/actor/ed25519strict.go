package main

// Ed25519 verification with the project's strict policy. crypto/ed25519 already refuses S ≥ L
// and compares R byte for byte, but it accepts non-canonical encodings of A and small-order A and
// R (A = identity with R = identity and S = 0 verifies for every message), so those are refused
// here first, in plain big-integer arithmetic on the encodings.

import (
	"crypto/ed25519"
	"encoding/hex"
	"math/big"
)

var (
	fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	orderL = func() *big.Int {
		l, _ := new(big.Int).SetString("27742317777372353535851937790883648493", 10)
		return l.Add(l, new(big.Int).Lsh(big.NewInt(1), 252))
	}()
)

// smallOrder holds the canonical encodings of the 8 points of order dividing 8; a non-canonical
// encoding of one of them is caught by the canonicity check first.
var smallOrder = map[string]bool{
	"0100000000000000000000000000000000000000000000000000000000000000": true, // identity
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f": true, // order 2
	"0000000000000000000000000000000000000000000000000000000000000000": true, // order 4
	"0000000000000000000000000000000000000000000000000000000000000080": true,
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a": true, // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa": true,
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05": true,
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85": true,
}

func littleEndian(b []byte) *big.Int {
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	return new(big.Int).SetBytes(be)
}

// isCanonicalPoint: y < p, and the sign bit is clear when x = 0 (y = ±1).
func isCanonicalPoint(enc []byte) bool {
	signBit := enc[31]&0x80 != 0
	y := littleEndian(append(append([]byte{}, enc[:31]...), enc[31]&0x7f))
	if y.Cmp(fieldP) >= 0 {
		return false
	}
	one := big.NewInt(1)
	minusOne := new(big.Int).Sub(fieldP, one)
	return !(signBit && (y.Cmp(one) == 0 || y.Cmp(minusOne) == 0))
}

// passesStrictPolicy: A and R canonical and not of small order, S < L.
func passesStrictPolicy(publicKey, signature []byte) bool {
	if len(publicKey) != ed25519.PublicKeySize || len(signature) != ed25519.SignatureSize {
		return false
	}
	for _, point := range [][]byte{publicKey, signature[:32]} {
		if !isCanonicalPoint(point) || smallOrder[hex.EncodeToString(point)] {
			return false
		}
	}
	return littleEndian(signature[32:]).Cmp(orderL) < 0
}

// stockVerify is crypto/ed25519 alone (lengths checked: it panics on a short key).
func stockVerify(publicKey, message, signature []byte) bool {
	return len(publicKey) == ed25519.PublicKeySize && ed25519.Verify(publicKey, message, signature)
}

func verifyStrict(publicKey, message, signature []byte) bool {
	return passesStrictPolicy(publicKey, signature) && stockVerify(publicKey, message, signature)
}
