package main

import (
	"path/filepath"
	"testing"
)

// The verifying client's checks on writes signed here by the transcript's actors (the byte-exact
// signing is pinned by vectors/signed-writes.json, checked through verify_vectors).
func TestSignedWriteChecks(t *testing.T) {
	actors := readJSON(t, filepath.Join(vectorsDir, "transcript.json"))["actors"].(object)
	seed := func(name string) []byte { return b64Of(actors[name].(object)["ed25519SeedB64"], 32) }
	member := func(name string) any {
		a := actors[name].(object)
		return object{"ed25519PublicKey": a["ed25519PublicKey"], "x25519PublicKey": a["x25519PublicKey"]}
	}
	alice := []any{member("alice")}
	body := []byte(`{"alts":[],"payloadVersion":2}`)
	genesis := make([]byte, 32)
	signed, transcript, err := signWrite(seed("alice"), "r", 2, 0, body, alice, genesis)
	if err != nil {
		t.Fatal(err)
	}
	served := func() servedState {
		return servedState{repoID: "r", version: 2, epoch: 0, members: alice, previous: alice, held: map[int64][]byte{}}
	}
	if got, err := checkServed(served(), signed); err != nil || string(got) != string(body) {
		t.Fatalf("a member's signed write: %q, %v", got, err)
	}
	bySomeoneElse, _, _ := signWrite(seed("bob"), "r", 2, 0, body, alice, genesis)
	tampered := append([]byte{}, signed...)
	tampered[len(tampered)-2]++ // the body's payloadVersion digit
	cases := map[string]struct {
		change    func(s *servedState)
		plaintext []byte
		code      string
	}{
		"body changed":          {func(*servedState) {}, tampered, "write_unauthenticated"},
		"served as version 3":   {func(s *servedState) { s.version = 3 }, signed, "write_unauthenticated"},
		"served at epoch 1":     {func(s *servedState) { s.epoch = 1 }, signed, "write_unauthenticated"},
		"record cut short":      {func(*servedState) {}, signed[:200], "write_unauthenticated"},
		"member injected":       {func(s *servedState) { s.members = []any{member("alice"), member("carol")} }, signed, "roster_unauthenticated"},
		"writer not a member":   {func(*servedState) {}, bySomeoneElse, "write_unauthenticated"},
		"another state held":    {func(s *servedState) { s.held[2] = genesis }, signed, "fork_detected"},
		"another previous held": {func(s *servedState) { s.held[1] = sha256Of(transcript) }, signed, "fork_detected"},
		"unsigned, marked":      {func(s *servedState) { s.marked = true }, body, "downgrade_detected"},
		"unsigned, seen signed": {func(s *servedState) { s.held[1] = genesis }, body, "downgrade_detected"},
	}
	for name, tc := range cases {
		s := served()
		tc.change(&s)
		if _, err := checkServed(s, tc.plaintext); codeOf(err) != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	if _, err := checkServed(served(), body); err != nil {
		t.Errorf("an unsigned write in a repository never seen signed: %v", err)
	}
}
