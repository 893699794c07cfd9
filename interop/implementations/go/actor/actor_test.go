package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const vectorsDir = "../../../../vectors"

func readJSON(t *testing.T, path string) object {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := parseJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v.(object)
}

// Every case of every file passes, and each file is checked as many times as index.json announces.
func TestEveryVectorFilePasses(t *testing.T) {
	index := readJSON(t, filepath.Join(vectorsDir, "index.json"))
	reports := verifyVectorDir(vectorsDir)
	for _, e := range index["vectors"].([]any) {
		entry := e.(object)
		r := reports[str(entry, "file")]
		announced, _ := counter(entry["cases"], "cases")
		if r == nil || r.Failed != 0 || r.Skipped != 0 || int64(r.Checked) != announced {
			t.Errorf("%s: %+v (announced %d)", str(entry, "file"), r, announced)
		}
		t.Logf("%s: %d cases checked", str(entry, "file"), r.Checked)
	}
}

// A copy of the vectors with one stated value changed per file must fail exactly that case.
func TestMutatedVectorsFail(t *testing.T) {
	mutations := map[string]func(c object){
		"aad.json": func(c object) { c["expectedAadHex"] = strings.Replace(str(c, "expectedAadHex"), "1f", "1e", 1) },
		"ed25519-policy.json": func(c object) {
			c["verdict"] = map[string]string{"accept": "reject", "reject": "accept"}[str(c, "verdict")]
		},
		"negative.json":     func(c object) { c["expectedError"] = "invalid_key" },
		"key-wrap.json":     func(c object) { c["kekHex"] = strings.Repeat("00", 32) },
		"payload-aead.json": func(c object) { c["tamperEpoch"] = c["keyEpoch"] },
		"identity.json":     func(c object) { c["secret"] = "x" + str(c, "secret") }, // caught only by recomputing Argon2id
		"challenge.json":    func(c object) { c["verdict"] = "reject" },
		"payload-parse.json": func(c object) { // one space the canonical writer never produces
			c["canonicalUtf8"] = strings.Replace(str(c, "canonicalUtf8"), ":", ": ", 1)
		},
	}
	dir := t.TempDir()
	entries, _ := os.ReadDir(vectorsDir)
	for _, e := range entries {
		if !e.IsDir() {
			raw, _ := os.ReadFile(filepath.Join(vectorsDir, e.Name()))
			if err := os.WriteFile(filepath.Join(dir, e.Name()), raw, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for file, mutate := range mutations {
		doc := readJSON(t, filepath.Join(dir, file))
		mutate(doc["cases"].([]any)[0].(object))
		if err := os.WriteFile(filepath.Join(dir, file), toJSON(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	reports := verifyVectorDir(dir)
	for file := range mutations {
		if got := reports[file].Failed; got != 1 {
			t.Errorf("%s: %d failures, want 1: %v", file, got, reports[file].Failures)
		}
	}
}

// crypto/ed25519 alone against the policy verdicts: where does the stock verifier differ?
func TestStockEd25519AgainstPolicy(t *testing.T) {
	doc := readJSON(t, filepath.Join(vectorsDir, "ed25519-policy.json"))
	var stockAccepts, policyAccepts, cctv, cctvStock, cctvPolicy int
	var looser []string
	for _, raw := range doc["cases"].([]any) {
		c := raw.(object)
		stock := stockVerify(hexOf(c["publicKeyHex"]), hexOf(c["messageHex"]), hexOf(c["signatureHex"]))
		policy := c["verdict"] == "accept"
		isCCTV := strings.HasPrefix(str(c, "name"), "cctv/")
		if stock {
			stockAccepts++
		}
		if policy {
			policyAccepts++
		}
		if isCCTV {
			cctv++
			if stock {
				cctvStock++
			}
			if policy {
				cctvPolicy++
			}
		}
		if stock && !policy {
			looser = append(looser, str(c, "name"))
		}
		if policy && !stock {
			t.Errorf("%s: the policy accepts what crypto/ed25519 rejects", str(c, "name"))
		}
	}
	t.Logf("crypto/ed25519 accepts %d of %d policy cases (policy: %d); CCTV: %d of %d (policy: %d); accepted against the policy: %v",
		stockAccepts, len(doc["cases"].([]any)), policyAccepts, cctvStock, cctv, cctvPolicy, looser)
	if len(looser) == 0 {
		t.Error("crypto/ed25519 agrees with the policy everywhere: the strict checks would be dead code")
	}
}

func TestActorProtocol(t *testing.T) {
	input := strings.Join([]string{
		`{"id":1,"op":"hello","args":{}}`,
		`not json`,
		`{"id":2,"op":"teleport","args":{}}`,
		`{"id":3,"op":"identity","args":{"ed25519SeedB64":"AAAA"}}`,
		`{"id":4,"op":"identity","args":{"ed25519SeedB64":"ec6BmEMGZNNskxkg2ScxcgS0A0yxJCqjdxmYpw8cQA0="}}`,
		`{"id":5,"op":"shutdown","args":{}}`,
		`{"id":6,"op":"hello","args":{}}`,
	}, "\n") + "\n"
	var out strings.Builder
	w := bufio.NewWriter(&out)
	serve(bufio.NewReader(strings.NewReader(input)), w)
	var replies []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("reply %q is not JSON", line)
		}
		replies = append(replies, r)
	}
	if len(replies) != 6 {
		t.Fatalf("want 6 replies (none after shutdown), got %d: %s", len(replies), out.String())
	}
	hello := replies[0]["result"].(map[string]any)
	if hello["language"] != "go" || len(hello["ops"].([]any)) != 16 {
		t.Errorf("hello: %v", hello)
	}
	codes := []string{"bad_request", "unsupported", "invalid_key"}
	for i, want := range codes {
		if got := replies[i+1]["error"].(map[string]any)["code"]; got != want {
			t.Errorf("reply %d: code %v, want %s", i+1, got, want)
		}
	}
	// The transcript's alice: her public key is stated in vectors/transcript.json.
	transcript := readJSON(t, filepath.Join(vectorsDir, "transcript.json"))
	alice := transcript["actors"].(object)["alice"].(object)
	if got := replies[4]["result"].(map[string]any)["ed25519PublicKey"]; got != alice["ed25519PublicKey"] {
		t.Errorf("identity: %v, want %v", got, alice["ed25519PublicKey"])
	}
	if replies[5]["id"] != float64(5) || replies[5]["ok"] != true {
		t.Errorf("shutdown: %v", replies[5])
	}
}
