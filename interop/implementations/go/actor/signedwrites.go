package main

// The signed-writes extension (docs/extensions/signed-writes.md): the writer's Ed25519 signature
// over a length-prefixed transcript, carried as a fixed-layout record at the front of the payload
// plaintext, and the checks a verifying client runs on a served state, in the document's order.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strings"
)

const (
	signedWriteMark = `{"signedWrite":`
	admissionMember = "signedWriteAdmission"
)

// signedRecord is a write's signed state: the record's fields and the transcript's hash.
type signedRecord struct {
	writer, roster, prev, signature, stateHash []byte
}

func lengthPrefixed(fields ...[]byte) []byte {
	var out []byte
	for _, f := range fields {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}

func sha256Of(data []byte) []byte {
	digest := sha256.Sum256(data)
	return digest[:]
}

// rosterHash: SHA-256 over the (Ed25519 ‖ X25519) pairs sorted bytewise; a member listed twice is an error.
func rosterHash(members []any) ([]byte, error) {
	pairs := make([][]byte, 0, len(members))
	for _, raw := range members {
		m, _ := raw.(object)
		ed, err1 := decodeStdLen(str(m, "ed25519PublicKey"), 32)
		x, err2 := decodeStdLen(str(m, "x25519PublicKey"), 32)
		if err1 != nil || err2 != nil {
			return nil, fail("invalid_encoding", "a roster key is not a base64 32-byte key")
		}
		pairs = append(pairs, append(ed, x...))
	}
	slices.SortFunc(pairs, bytes.Compare)
	out := binary.BigEndian.AppendUint32(lengthPrefixed([]byte("avp/signed-write/roster/v1")), uint32(len(pairs)))
	for i, p := range pairs {
		if i > 0 && bytes.Equal(p[:32], pairs[i-1][:32]) {
			return nil, fail("invalid_encoding", "a member is listed twice")
		}
		out = append(out, p...)
	}
	return sha256Of(out), nil
}

func signedTranscript(repoID string, version, epoch int64, contentHash, roster, prev, writer []byte) []byte {
	return lengthPrefixed([]byte("avp/signed-write/v1"), []byte(repoID), binary.BigEndian.AppendUint64(nil, uint64(version)),
		binary.BigEndian.AppendUint64(nil, uint64(epoch)), contentHash, roster, prev, writer)
}

// signWrite is the plaintext for body (compact JSON starting `{"`) written by seed.
func signWrite(seed []byte, repoID string, version, epoch int64, body []byte, members []any, prev []byte) ([]byte, []byte, error) {
	roster, err := rosterHash(members)
	if err != nil {
		return nil, nil, err
	}
	key := ed25519.NewKeyFromSeed(seed)
	writer := key.Public().(ed25519.PublicKey)
	transcript := signedTranscript(repoID, version, epoch, sha256Of(body), roster, prev, writer)
	record := signedWriteMark + `{"v":1,"writer":"` + encodeStd(writer) + `","roster":"` + encodeStd(roster) + `","prev":"` +
		encodeStd(prev) + `","signature":"` + encodeStd(ed25519.Sign(key, transcript)) + `"},`
	return append([]byte(record), body[1:]...), transcript, nil
}

// openSignedRecord splits a plaintext into its verified record and body; a nil record when unsigned.
func openSignedRecord(repoID string, version, epoch int64, plaintext []byte) (*signedRecord, []byte, error) {
	if !bytes.HasPrefix(plaintext, []byte(signedWriteMark)) {
		return nil, plaintext, nil
	}
	rest := string(plaintext)
	// field takes `before` then n base64 characters off rest; nil when they are not there.
	field := func(before string, n int) []byte {
		if !strings.HasPrefix(rest, before) || len(rest) < len(before)+n {
			return nil
		}
		value, err := decodeStd(rest[len(before) : len(before)+n])
		rest = rest[len(before)+n:]
		if err != nil {
			return nil
		}
		return value
	}
	r := &signedRecord{
		writer:    field(signedWriteMark+`{"v":1,"writer":"`, 44),
		roster:    field(`","roster":"`, 44),
		prev:      field(`","prev":"`, 44),
		signature: field(`","signature":"`, 88),
	}
	// The record ends with `"},` and the body's first member name follows (292 bytes in all).
	if len(r.writer) != 32 || len(r.roster) != 32 || len(r.prev) != 32 || len(r.signature) != 64 || !strings.HasPrefix(rest, `"},"`) {
		return nil, nil, fail("write_unauthenticated", "the signed-write record is malformed")
	}
	body := []byte("{" + rest[len(`"},`):])
	transcript := signedTranscript(repoID, version, epoch, sha256Of(body), r.roster, r.prev, r.writer)
	if !verifyStrict(r.writer, transcript, r.signature) {
		return nil, nil, fail("write_unauthenticated", "the write's signature does not verify")
	}
	r.stateHash = sha256Of(transcript)
	return r, body, nil
}

func memberIDsOf(members []any) []string {
	ids := make([]string, 0, len(members))
	for _, raw := range members {
		m, _ := raw.(object)
		ids = append(ids, str(m, "ed25519PublicKey"))
	}
	slices.Sort(ids)
	return ids
}

// admitted: body carries a verifying admission of writer, signed by a member of allowed.
func admitted(repoID, writer string, allowed []string, body []byte) bool {
	doc, err := parseJSON(body)
	payload, _ := doc.(object)
	admission, _ := payload[admissionMember].(object)
	state, _ := admission["state"].(object)
	members, _ := admission["members"].([]any)
	if err != nil || state == nil || str(state, "repoId") != repoID || !slices.Contains(allowed, str(state, "writer")) ||
		!slices.Contains(memberIDsOf(members), writer) {
		return false
	}
	roster, err := rosterHash(members)
	if err != nil || encodeStd(roster) != str(state, "rosterHash") {
		return false
	}
	version, err1 := counter(state["payloadVersion"], "payloadVersion")
	epoch, err2 := counter(state["keyEpoch"], "keyEpoch")
	content, err3 := decodeStdLen(str(state, "contentHash"), 32)
	prev, err4 := decodeStdLen(str(state, "prev"), 32)
	admitter, err5 := decodeStdLen(str(state, "writer"), 32)
	signature, err6 := decodeStdLen(str(state, "signature"), 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil || err6 != nil {
		return false
	}
	transcript := signedTranscript(repoID, version, epoch, content, roster, prev, admitter)
	return encodeStd(sha256Of(transcript)) == str(state, "stateHash") && verifyStrict(admitter, transcript, signature)
}

// servedState is what a pull hands the verifier: the envelope header's counters, the served roster,
// whether the manifest carries the signedWrites mark, and the state hashes held by version.
type servedState struct {
	repoID         string
	version, epoch int64
	members        []any
	previous       []any // the roster last accepted; nil on first contact
	marked         bool
	held           map[int64][]byte
}

// checkServed runs the checks under the 'refuse' policy and returns the payload body to parse.
func checkServed(s servedState, plaintext []byte) ([]byte, error) {
	record, body, err := openSignedRecord(s.repoID, s.version, s.epoch, plaintext)
	if err != nil {
		return nil, err
	}
	if record == nil {
		if len(s.held) > 0 || s.marked {
			return nil, fail("downgrade_detected", "version %d is not signed, in a repository seen signed", s.version)
		}
		return plaintext, nil
	}
	roster, err := rosterHash(s.members)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(roster, record.roster) {
		return nil, fail("roster_unauthenticated", "the served roster is not the one the write was signed with")
	}
	allowed := memberIDsOf(s.members)
	if s.previous != nil {
		allowed = memberIDsOf(s.previous)
	}
	writer := encodeStd(record.writer)
	if !slices.Contains(allowed, writer) && !(s.previous != nil && admitted(s.repoID, writer, allowed, body)) {
		if s.previous != nil && !slices.Equal(allowed, memberIDsOf(s.members)) {
			return nil, fail("roster_unauthenticated", "the roster changed in a write not signed by a member of the previous roster")
		}
		return nil, fail("write_unauthenticated", "the write is signed by a key that is not a member")
	}
	if held, ok := s.held[s.version]; ok && !bytes.Equal(held, record.stateHash) {
		return nil, fail("fork_detected", "two signed states for version %d", s.version)
	}
	if before, ok := s.held[s.version-1]; ok && !bytes.Equal(before, record.prev) {
		return nil, fail("fork_detected", "version %d does not follow the version held", s.version)
	}
	return body, nil
}
