package main

// verify_vectors: every case of every file listed in <dir>/index.json, checked with this actor's
// own crypto. A file, op or check this verifier does not know is a failure, never a skip. Inside a
// case a stated value that differs (or a field of the wrong type) panics with the reason, and the
// walk records it as that case's failure.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type fileReport struct {
	Checked  int      `json:"checked"`
	Failed   int      `json:"failed"`
	Skipped  int      `json:"skipped"`
	Failures []string `json:"failures"`
}

type checker func(c, doc object)

func expect(ok bool, what string) {
	if !ok {
		panic(fmt.Errorf("%s differs", what))
	}
}

// must returns v, or fails the case with err (a rejection where none was expected).
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Errorf("unexpected rejection: %w", err))
	}
	return v
}

// mustFail runs call; it must be rejected with code.
func mustFail(code string, call func() error) {
	err := call()
	if err == nil {
		panic(fmt.Errorf("accepted where it must fail with %s", code))
	}
	if got := codeOf(err); got != code {
		panic(fmt.Errorf("failed with %q (%v), expected %s", got, err, code))
	}
}

func hexOf(v any) []byte {
	b, err := hex.DecodeString(v.(string))
	if err != nil {
		panic(fmt.Errorf("field is not hex: %w", err))
	}
	return b
}

func b64Of(v any, n int) []byte {
	s, _ := v.(string)
	if n < 0 {
		return must(decodeStd(s))
	}
	return must(decodeStdLen(s, n))
}

func sameJSON(a, b any) bool { return bytes.Equal(toJSON(a), toJSON(b)) }

func checkAad(c, _ object) {
	expect(hex.EncodeToString(must(aad(str(c, "repoId"), c["payloadVersion"], c["keyEpoch"]))) == c["expectedAadHex"], "AAD")
}

func checkBindingMessage(c, _ object) {
	expect(str(c, "ed25519PublicKey")+"|"+str(c, "x25519PublicKey") == c["expectedMessageUtf8"], "message")
}

func checkHkdf(c, _ object) {
	expect(c["hash"] == "SHA-256", "hash")
	length := int(must(counter(c["length"], "length")))
	prk := must(hkdf.Extract(sha256.New, hexOf(c["ikmHex"]), hexOf(c["saltHex"])))
	expect(hex.EncodeToString(prk) == c["prkHex"], "PRK")
	okm := must(hkdf.Expand(sha256.New, prk, string(hexOf(c["infoHex"])), length))
	expect(hex.EncodeToString(okm) == c["okmHex"], "OKM")
}

func checkX25519(c, _ object) {
	expect(hex.EncodeToString(must(x25519(hexOf(c["scalarHex"]), hexOf(c["uCoordinateHex"])))) == c["outputHex"], "shared secret")
}

func checkEd25519(c, _ object) {
	key := ed25519.NewKeyFromSeed(hexOf(c["seedHex"]))
	message := hexOf(c["messageHex"])
	expect(hex.EncodeToString(key.Public().(ed25519.PublicKey)) == c["publicKeyHex"], "public key")
	expect(hex.EncodeToString(ed25519.Sign(key, message)) == c["signatureHex"], "signature")
	expect(verifyStrict(hexOf(c["publicKeyHex"]), message, hexOf(c["signatureHex"])), "verify")
}

func verdict(ok bool) string {
	if ok {
		return "accept"
	}
	return "reject"
}

func checkPolicy(c, _ object) {
	got := verdict(verifyStrict(hexOf(c["publicKeyHex"]), hexOf(c["messageHex"]), hexOf(c["signatureHex"])))
	expect(got == c["verdict"], "strict policy verdict "+got)
}

func checkKeyBinding(c, _ object) {
	message := str(c, "ed25519PublicKey") + "|" + str(c, "x25519PublicKey")
	expect(message == c["messageUtf8"], "message")
	issuer := b64Of(c["issuerPublicKey"], 32)
	valid := c["keyBindingSig"] != nil && verifyStrict(issuer, []byte(message), b64Of(c["keyBindingSig"], 64))
	expect(verdict(valid) == c["verdict"], "binding verdict "+verdict(valid))
	expect(valid || c["expectedError"] == "binding_invalid", "expectedError")
}

// challengeOutcome is what a server answers a token request: bad_request for a malformed field,
// unauthorized for a signature that fails the strict policy, "" for acceptance.
func challengeOutcome(c object) string {
	key, err1 := decodeStdLen(str(c, "ed25519PublicKey"), 32)
	nonce, err2 := decodeStdLen(str(c, "nonce"), 32)
	sig, err3 := decodeStdLen(str(c, "signature"), 64)
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return "bad_request"
	case verifyStrict(key, nonce, sig):
		return ""
	default:
		return "unauthorized"
	}
}

func checkChallenge(c, _ object) {
	outcome := challengeOutcome(c)
	expected, _ := c["expectedError"].(string)
	expect(outcome == expected, "server outcome "+outcome)
	expect((outcome == "") == (c["verdict"] == "accept"), "verdict")
}

// checkSealed re-encrypts, decrypts and tampers one payload case (payload-aead and -sizes).
func checkSealed(c object, plaintext []byte) {
	key, iv, repoID := b64Of(c["keyB64"], 32), b64Of(c["ivB64"], 12), str(c, "repoId")
	header := must(aad(repoID, c["payloadVersion"], c["keyEpoch"]))
	expect(hex.EncodeToString(header) == c["aadHex"], "AAD")
	sealed := must(gcmSeal(key, iv, header, plaintext))
	if stated, inline := c["ciphertextB64"]; inline {
		expect(encodeStd(sealed) == stated, "ciphertext")
	} else {
		digest := sha256.Sum256(sealed)
		expect(hex.EncodeToString(digest[:]) == c["ciphertextSha256Hex"], "ciphertext digest")
	}
	if tag, stated := c["tagHex"]; stated {
		expect(hex.EncodeToString(sealed[len(sealed)-16:]) == tag, "tag")
	}
	expect(bytes.Equal(must(decryptPayload(key, repoID, c["payloadVersion"], c["keyEpoch"], iv, sealed)), plaintext), "open")
	mustFail("invalid_tag", func() error {
		_, err := decryptPayload(key, repoID, c["payloadVersion"], c["tamperEpoch"], iv, sealed)
		return err
	})
	offsets, _ := c["tamperBitFlipOffsets"].([]any)
	for _, raw := range offsets {
		flipped := append([]byte{}, sealed...)
		flipped[must(counter(raw, "offset"))] ^= 1
		mustFail("invalid_tag", func() error {
			_, err := decryptPayload(key, repoID, c["payloadVersion"], c["keyEpoch"], iv, flipped)
			return err
		})
	}
}

func checkPayload(c, _ object) { checkSealed(c, []byte(str(c, "plaintextUtf8"))) }

// checkPayloadParse: an accepted plaintext is written back byte for byte (policy on and off), a
// refused one fails with its expectedError.
func checkPayloadParse(c, _ object) {
	plaintext := []byte(str(c, "plaintextUtf8"))
	if _, isHex := c["plaintextHex"]; isHex {
		plaintext = hexOf(c["plaintextHex"])
	}
	if c["verdict"] != "accept" {
		expect(c["verdict"] == "reject", "verdict")
		mustFail(str(c, "expectedError"), func() error { _, _, _, err := canonicalPayload(plaintext, true); return err })
		return
	}
	canonical, version, alts, err := canonicalPayload(plaintext, true)
	must(0, err)
	expect(canonical == c["canonicalUtf8"], "canonical serialization "+canonical)
	expect(json.Number(fmt.Sprint(version)) == c["payloadVersion"] && json.Number(fmt.Sprint(alts)) == c["altCount"], "payloadVersion/altCount")
	stripped, _, _, err := canonicalPayload(plaintext, false)
	must(0, err)
	expect(stripped == c["strippedUtf8"], "policy-stripped serialization "+stripped)
}

// checkSignedWrite: an accept case's hashes, transcript, signature and plaintext are reproduced
// from the writer's seed, and the verifying client accepts it; a reject case is refused with its code.
func checkSignedWrite(c, _ object) {
	version, epoch := must(counter(c["payloadVersion"], "payloadVersion")), must(counter(c["keyEpoch"], "keyEpoch"))
	members, _ := c["members"].([]any)
	previous, _ := c["previousMembers"].([]any)
	served := servedState{repoID: str(c, "repoId"), version: version, epoch: epoch, members: members, previous: previous,
		marked: c["everSigned"] == true, held: map[int64][]byte{}}
	if c["heldPrev"] != nil {
		served.held[version-1] = b64Of(c["heldPrev"], 32)
	}
	verify := func() ([]byte, error) { return checkServed(served, []byte(str(c, "plaintextUtf8"))) }
	if c["verdict"] != "accept" {
		expect(c["verdict"] == "reject", "verdict")
		mustFail(str(c, "expectedError"), func() error { _, err := verify(); return err })
		return
	}
	body := []byte(str(c, "bodyUtf8"))
	expect(hex.EncodeToString(must(rosterHash(members))) == c["rosterHashHex"], "roster hash")
	expect(hex.EncodeToString(sha256Of(body)) == c["contentHashHex"], "content hash")
	seed := hexOf(c["writerSeedHex"])
	expect(encodeStd(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)) == c["writer"], "writer")
	plaintext, transcript, err := signWrite(seed, str(c, "repoId"), version, epoch, body, members, b64Of(c["prev"], 32))
	must(0, err)
	expect(hex.EncodeToString(transcript) == c["transcriptHex"], "transcript")
	expect(hex.EncodeToString(sha256Of(transcript)) == c["stateHashHex"], "state hash")
	expect(string(plaintext) == c["plaintextUtf8"], "signed plaintext (record and signature)")
	expect(bytes.Equal(must(verify()), body), "verified body")
}

// expandPlaintext: block i = SHA-256(seed ‖ uint32BE(i)); the first length bytes of the blocks.
func expandPlaintext(seed []byte, length int64) []byte {
	var out []byte
	for i := uint32(0); int64(len(out)) < length; i++ {
		block := sha256.Sum256(binary.BigEndian.AppendUint32(append([]byte{}, seed...), i))
		out = append(out, block[:]...)
	}
	return out[:length]
}

func checkSizes(c, _ object) {
	p := c["plaintext"].(object)
	checkSealed(c, expandPlaintext(hexOf(p["seedHex"]), must(counter(p["length"], "length"))))
}

func checkKeyWrap(c, _ object) {
	recipient := b64Of(c["recipientPrivateKeyB64"], 32)
	ephemeral := b64Of(c["ephemeralPrivateKeyB64"], 32)
	dataKey := b64Of(c["dataKeyB64"], 32)
	wk, ok := wrappedKeyOf(c["wrappedKey"])
	expect(ok, "wrappedKey shape")
	recipientKey := must(x25519Private(recipient))
	expect(encodeStd(recipientKey.PublicKey().Bytes()) == c["recipientPublicKeyB64"], "recipient public key")
	ephemeralPublic := must(x25519Private(ephemeral)).PublicKey().Bytes()
	expect(encodeStd(ephemeralPublic) == wk.EphemeralPublicKey, "ephemeral public key")
	shared := must(x25519(ephemeral, b64Of(c["recipientPublicKeyB64"], 32)))
	expect(hex.EncodeToString(shared) == c["sharedSecretHex"], "shared secret")
	expect(hex.EncodeToString(deriveKek(shared, ephemeralPublic)) == c["kekHex"], "KEK")
	expect(c["info"] == string(wrapInfo) && wk.SchemeID == schemeID, "scheme")
	again := must(wrapDataKey(dataKey, b64Of(c["recipientPublicKeyB64"], 32), ephemeral, b64Of(wk.IV, 12)))
	expect(again == wk, "re-wrapped key")
	expect(bytes.Equal(must(unwrapDataKey(wk, recipient)), dataKey), "unwrap")
}

// decodedToken is a token's known members in the vectors' `decoded` form.
func decodedToken(token, schema string) (object, string, error) {
	if schema == "InviteRequest" {
		i, err := decodeInvite(token)
		return object{"v": json.Number("1"), "ed25519PublicKey": i.Ed25519PublicKey, "x25519PublicKey": i.X25519PublicKey}, encodeInvite(i), err
	}
	l, err := decodeLocator(token)
	out := object{"v": json.Number("1"), "host": l.Host, "repoId": l.RepoID}
	if l.SchemeID != "" {
		out["schemeId"] = l.SchemeID
	}
	if l.KeyEpoch != nil {
		out["keyEpoch"] = json.Number(fmt.Sprint(*l.KeyEpoch))
	}
	if l.IssuerJwksURL != "" {
		out["issuerJwksUrl"] = l.IssuerJwksURL
	}
	return out, encodeLocator(l), err
}

func checkToken(c, _ object) {
	decoded, reencoded := must2(decodedToken(str(c, "base64url"), str(c, "schema")))
	expect(sameJSON(decoded, c["decoded"]), "decoded")
	expect(reencoded == c["base64url"], "re-encoded token")
	expect(encodeURL([]byte(str(c, "canonicalJson"))) == c["base64url"], "canonical JSON")
}

func must2[A, B any](a A, b B, err error) (A, B) {
	must(0, err)
	return a, b
}

func checkOracle(c, _ object) {
	expect(encodeURL([]byte(str(c, "json"))) == c["base64url"], "base64url of json")
	decoded, _ := must2(decodedToken(str(c, "base64url"), str(c, "schema")))
	expect(sameJSON(decoded, c["decoded"]), "decoded")
}

func checkURI(c, _ object) {
	host, repoID := must2(parseAddress(str(c, "uri")))
	expect(host == c["host"] && repoID == c["repoId"], "parsed address")
	expect(formatAddress(host, repoID) == c["uri"], "formatted address")
}

var negativeOps = map[string]func(c object) error{
	"payload-decrypt": func(c object) error {
		key, iv, ct, err := decode3(c["keyB64"], c["ivB64"], c["ciphertextB64"])
		if err == nil {
			_, err = decryptPayload(key, str(c, "repoId"), c["payloadVersion"], c["keyEpoch"], iv, ct)
		}
		return err
	},
	"key-unwrap": func(c object) error {
		private, err := decodeStd(str(c, "recipientPrivateKeyB64"))
		if err == nil {
			scheme, given := c["schemeId"].(string)
			if !given {
				scheme = schemeID
			}
			_, err = unwrapDataKey(wrappedKey{scheme, str(c, "ephemeralPublicKeyB64"), str(c, "ivB64"), str(c, "ciphertextB64")}, private)
		}
		return err
	},
	"key-wrap": func(c object) error {
		dataKey, recipient, ephemeral, err := decode3(c["dataKeyB64"], c["recipientPublicKeyB64"], c["ephemeralPrivateKeyB64"])
		if err == nil {
			var iv []byte
			if iv, err = decodeStdLen(str(c, "ivB64"), 12); err == nil {
				_, err = wrapDataKey(dataKey, recipient, ephemeral, iv)
			}
		}
		return err
	},
	"x25519": func(c object) error {
		_, err := x25519(hexOf(c["scalarHex"]), hexOf(c["uCoordinateHex"]))
		return err
	},
	"aad": func(c object) error {
		_, err := aad(str(c, "repoId"), c["payloadVersion"], c["keyEpoch"])
		return err
	},
	"base64-decode": func(c object) error {
		if c["length"] == nil {
			_, err := decodeStd(str(c, "input"))
			return err
		}
		_, err := decodeStdLen(str(c, "input"), int(must(counter(c["length"], "length"))))
		return err
	},
	"invite-decode": func(c object) error {
		_, err := decodeInvite(str(c, "token"))
		return err
	},
	"locator-decode": func(c object) error {
		_, err := decodeLocator(str(c, "token"))
		return err
	},
	"address-parse": func(c object) error {
		_, _, err := parseAddress(str(c, "uri"))
		return err
	},
}

func decode3(a, b, c any) (x, y, z []byte, err error) {
	if x, err = decodeStd(a.(string)); err != nil {
		return
	}
	if y, err = decodeStd(b.(string)); err != nil {
		return
	}
	z, err = decodeStd(c.(string))
	return
}

func checkNegative(c, _ object) {
	expect(c["expect"] == "reject", "expect")
	if c["op"] == "ed25519-verify" {
		expect(!verifyStrict(hexOf(c["publicKeyHex"]), hexOf(c["messageHex"]), hexOf(c["signatureHex"])), "the mutated signature verifies:")
		return
	}
	op, known := negativeOps[str(c, "op")]
	if !known {
		panic(fmt.Errorf("unknown op %q", c["op"]))
	}
	mustFail(str(c, "expectedError"), func() error { return op(c) })
}

func checkIdentity(c, _ object) {
	derived, _ := c["derivedKeyHex"].(string)
	open := func() (openedIdentity, error) {
		return openIdentity(c["sealed"], str(c, "unlockWith"), str(c, "secret"), derived)
	}
	if c["verdict"] == "accept" {
		got := must(open())
		expect(got.ed25519PublicKey == c["ed25519PublicKey"] && got.x25519PublicKey == c["x25519PublicKey"], "opened keys")
		expect(derived == "" || hex.EncodeToString(got.slotKey) == derived, "Argon2id output")
		return
	}
	mustFail(str(c, "expectedError"), func() error { _, err := open(); return err })
}

// pointer resolves an RFC 6901 JSON pointer.
func pointer(root any, at string) any {
	node := root
	for _, raw := range strings.Split(at, "/")[1:] {
		token := strings.ReplaceAll(strings.ReplaceAll(raw, "~1", "/"), "~0", "~")
		switch n := node.(type) {
		case object:
			node = n[token]
		case []any:
			var i int
			if _, err := fmt.Sscan(token, &i); err != nil || i < 0 || i >= len(n) {
				panic(fmt.Errorf("no value at %s", at))
			}
			node = n[i]
		default:
			node = nil
		}
		if node == nil {
			panic(fmt.Errorf("no value at %s", at))
		}
	}
	return node
}

func jwkThumbprint(x []byte) string {
	digest := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + encodeURL(x) + `"}`))
	return encodeURL(digest[:])
}

func checkStep(c, doc object) {
	srv := doc["server"].(object)
	server := b64Of(srv["ed25519PublicKey"], 32)
	expect(jwkThumbprint(server) == srv["kid"], "server kid")
	secrets := doc["secrets"].(object)
	dataKeys, plaintexts := secrets["dataKeys"].(object), secrets["plaintexts"].(object)
	tokens := map[string]string{}
	for _, raw := range doc["cases"].([]any) {
		step := raw.(object)
		if strings.HasSuffix(str(step, "name"), "-token") {
			tokens[str(step, "actor")] = str(step["response"].(object)["body"].(object), "token")
		}
	}
	if headers, ok := c["request"].(object)["headers"].(object); ok {
		if auth, ok := headers["Authorization"]; ok {
			expect(auth == "Bearer "+tokens[str(c, "actor")], "bearer token of the acting actor")
		}
	}
	checks, _ := c["checks"].([]any)
	for _, raw := range checks {
		check := raw.(object)
		target := pointer(c, str(check, "at"))
		switch str(check, "check") {
		case "nonce-signature":
			t := target.(object)
			expect(challengeOutcome(t) == "", "nonce signature")
		case "jwt":
			parts := strings.Split(target.(string), ".")
			expect(len(parts) == 3, "JWT parts")
			expect(verifyStrict(server, []byte(parts[0]+"."+parts[1]), must(decodeURL(parts[2]))), "JWT signature")
			head := must(parseJSON(must(decodeURL(parts[0]))))
			claims := must(parseJSON(must(decodeURL(parts[1])))).(object)
			expect(sameJSON(head, object{"alg": "EdDSA", "typ": "JWT", "kid": srv["kid"]}), "JWT header")
			expect(claims["sub"] == "key:"+str(check, "subject") && claims["kind"] == "keypair", "JWT claims")
			iat, exp := must(counter(claims["iat"], "iat")), must(counter(claims["exp"], "exp"))
			expect(claims["aud"] == doc["base"] && claims["iss"] == doc["base"] && exp > iat, "JWT audience")
		case "jwks":
			t := target.(object)
			expect(t["kty"] == "OKP" && t["crv"] == "Ed25519" && t["alg"] == "EdDSA", "JWK")
			expect(bytes.Equal(must(decodeURL(str(t, "x"))), server) && t["kid"] == srv["kid"], "JWK key")
		case "key-binding":
			t := target.(object)
			message := []byte(str(t, "ed25519PublicKey") + "|" + str(t, "x25519PublicKey"))
			expect(verifyStrict(server, message, b64Of(t["keyBindingSig"], 64)), "key binding")
		case "unwrap":
			actor := doc["actors"].(object)[str(check, "actor")].(object)
			wk, ok := wrappedKeyOf(target)
			expect(ok, "wrapped key shape")
			got := must(unwrapDataKey(wk, b64Of(actor["x25519PrivateB64"], 32)))
			expect(encodeStd(got) == dataKeys[str(check, "dataKey")], "unwrap")
		case "decrypt", "decrypt-fails":
			t := target.(object)
			key := b64Of(dataKeys[str(check, "dataKey")], 32)
			open := func() ([]byte, error) {
				return decryptPayload(key, str(t, "repoId"), t["payloadVersion"], t["keyEpoch"], b64Of(t["iv"], 12), b64Of(t["ciphertext"], -1))
			}
			if str(check, "check") == "decrypt" {
				expect(string(must(open())) == plaintexts[str(check, "plaintext")], "decrypt")
			} else {
				mustFail(str(check, "expectedError"), func() error { _, err := open(); return err })
			}
		default:
			panic(fmt.Errorf("unknown check %q", check["check"]))
		}
	}
}

// checkers: file id -> (case list key, checker) for every file this verifier knows.
var checkers = map[string][][2]any{
	"aad":                 {{"cases", checker(checkAad)}},
	"key-binding-message": {{"cases", checker(checkBindingMessage)}},
	"hkdf":                {{"cases", checker(checkHkdf)}},
	"x25519":              {{"cases", checker(checkX25519)}},
	"ed25519":             {{"cases", checker(checkEd25519)}},
	"ed25519-policy":      {{"cases", checker(checkPolicy)}},
	"key-binding":         {{"cases", checker(checkKeyBinding)}},
	"challenge":           {{"cases", checker(checkChallenge)}},
	"payload-aead":        {{"cases", checker(checkPayload)}},
	"payload-aead-sizes":  {{"cases", checker(checkSizes)}},
	"payload-parse":       {{"cases", checker(checkPayloadParse)}},
	"signed-writes":       {{"cases", checker(checkSignedWrite)}},
	"key-wrap":            {{"cases", checker(checkKeyWrap)}},
	"federation":          {{"tokens", checker(checkToken)}, {"uris", checker(checkURI)}, {"decodeOracles", checker(checkOracle)}},
	"negative":            {{"cases", checker(checkNegative)}},
	"negative-extended":   {{"cases", checker(checkNegative)}},
	"identity":            {{"cases", checker(checkIdentity)}},
	"transcript":          {{"cases", checker(checkStep)}},
}

// runCase runs one check, turning a panic (a mismatch, a rejection, a mistyped field) into its reason.
func runCase(check checker, c, doc object) (reason string) {
	defer func() {
		if r := recover(); r != nil {
			reason = fmt.Sprint(r)
		}
	}()
	check(c, doc)
	return ""
}

// readObject reads a file holding one JSON object.
func readObject(path string) (object, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	parsed, err := parseJSON(raw)
	if doc, ok := parsed.(object); ok && err == nil {
		return doc, nil
	}
	return nil, fmt.Errorf("%s is not a JSON object: %v", path, err)
}

func verifyFile(dir string, entry object) *fileReport {
	report := &fileReport{Failures: []string{}}
	announced, _ := counter(entry["cases"], "cases")
	lists, known := checkers[str(entry, "id")]
	if !known {
		report.Failed = int(announced)
		report.Failures = append(report.Failures, fmt.Sprintf("unknown file %q", entry["id"]))
		return report
	}
	doc, err := readObject(filepath.Join(dir, str(entry, "file")))
	if err != nil {
		report.Failed = 1
		report.Failures = append(report.Failures, fmt.Sprintf("%s: unreadable: %v", str(entry, "file"), err))
		return report
	}
	for _, list := range lists {
		cases, _ := doc[list[0].(string)].([]any)
		for _, rawCase := range cases {
			report.Checked++
			c, _ := rawCase.(object)
			if reason := runCase(list[1].(checker), c, doc); reason != "" {
				report.Failed++
				report.Failures = append(report.Failures, fmt.Sprintf("%v: %s", c["name"], reason))
			}
		}
	}
	if int64(report.Checked) != announced {
		report.Failed++
		report.Failures = append(report.Failures, fmt.Sprintf("index.json announces %d cases, %d were checked", announced, report.Checked))
	}
	return report
}

// verifyVectorDir checks every file listed in <dir>/index.json.
func verifyVectorDir(dir string) map[string]*fileReport {
	out := map[string]*fileReport{}
	index, err := readObject(filepath.Join(dir, "index.json"))
	if err != nil {
		out["index.json"] = &fileReport{Failed: 1, Failures: []string{fmt.Sprintf("unreadable: %v", err)}}
		return out
	}
	entries, _ := index["vectors"].([]any)
	for _, e := range entries {
		entry, _ := e.(object)
		out[str(entry, "file")] = verifyFile(dir, entry)
	}
	return out
}
