package main

// The client actor's state and operations (docs/actor-contract.md): one identity, a token cache
// per server, and per repository the data keys held (current and former), the last manifest,
// pinned member keys and the highest (payloadVersion, keyEpoch) seen. Real crypto throughout.

import (
	"crypto/ed25519"
	"fmt"
	"net/url"
	"time"
)

const (
	maxUpdateAttempts = 5
	tokenMarginMillis = 30_000
)

type member struct {
	Ed, X    string
	Wrapped  wrappedKey
	KeyEpoch int64
	Binding  any // keyBindingSig as served (a string, null, or absent = nil)
}

type manifest struct {
	RepoID                   string
	PayloadVersion, KeyEpoch int64
	Members                  []member
	Share                    any // shareRefreshTokens as served (nil when absent)
}

type repoState struct {
	manifest               *manifest
	dataKey                []byte
	alts                   []any
	highVersion, highEpoch int64
	pinned                 map[string]string // member id -> the X25519 key first seen
}

// defences are the options of every vault op (actor contract, "Client defences").
type defences struct {
	requireBinding bool
	issuerJwksURL  string
}

type cachedToken struct {
	token     string
	expiresAt int64
}

type Session struct {
	ed       ed25519.PrivateKey
	x        []byte
	memberID string
	xPublic  string
	tokens   map[string]cachedToken
	repos    map[string]*repoState
	held     map[string][][]byte // repoId -> every data key ever held (what open_envelope may try)
	issuer   map[string][][]byte // JWKS URL -> its Ed25519 keys
}

func badRequest(format string, a ...any) error { return fail("bad_request", format, a...) }
func protocolError(format string, a ...any) error {
	return fail("protocol_error", format, a...)
}

func argString(args object, name string) (string, error) {
	s, ok := args[name].(string)
	if !ok || s == "" {
		return "", badRequest("args.%s must be a non-empty string", name)
	}
	return s, nil
}

func altList(v any, name string) ([]any, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, badRequest("%s must be an array of AltAccount objects", name)
	}
	for _, a := range list {
		if !isObject(a) {
			return nil, badRequest("%s must be an array of AltAccount objects", name)
		}
	}
	return list, nil
}

// applyPolicy is the refresh-token policy (spec §5.1): on only for an explicit true; off strips
// refreshToken and expiresAt on encrypt and decrypt. An older payload's single `ban` becomes `bans`.
func applyPolicy(alts []any, share any) []any {
	out := make([]any, len(alts))
	for i, a := range alts {
		alt := object{}
		for k, v := range a.(object) {
			alt[k] = v
		}
		if ban, has := alt["ban"]; has {
			if _, hasBans := alt["bans"]; !hasBans {
				if ban == nil {
					alt["bans"] = nil
				} else {
					alt["bans"] = object{"unknown": ban}
				}
				delete(alt, "ban")
			}
		}
		if share != true {
			delete(alt, "refreshToken")
			delete(alt, "expiresAt")
		}
		out[i] = alt
	}
	return out
}

func parseManifest(v any, repoID string) (*manifest, error) {
	m, ok := v.(object)
	members, isList := m["members"].([]any)
	if !ok || !isList {
		return nil, protocolError("manifest is malformed")
	}
	if str(m, "repoId") != repoID {
		return nil, protocolError("manifest names another repository")
	}
	pv, err := counter(m["payloadVersion"], "manifest.payloadVersion")
	if err != nil {
		return nil, err
	}
	ke, err := counter(m["keyEpoch"], "manifest.keyEpoch")
	if err != nil {
		return nil, err
	}
	out := &manifest{RepoID: repoID, PayloadVersion: pv, KeyEpoch: ke, Share: m["shareRefreshTokens"]}
	for _, raw := range members {
		e, _ := raw.(object)
		wk, okWrap := wrappedKeyOf(e["wrappedDataKey"])
		epoch, errEpoch := counter(e["keyEpoch"], "member.keyEpoch")
		if str(e, "ed25519PublicKey") == "" || str(e, "x25519PublicKey") == "" || !okWrap || errEpoch != nil {
			return nil, protocolError("manifest member entry is malformed")
		}
		out.Members = append(out.Members, member{str(e, "ed25519PublicKey"), str(e, "x25519PublicKey"), wk, epoch, e["keyBindingSig"]})
	}
	return out, nil
}

func memberIDs(m *manifest) []string {
	ids := make([]string, len(m.Members))
	for i, e := range m.Members {
		ids[i] = e.Ed
	}
	return ids
}

func defencesOf(args object) defences {
	required, _ := args["requireBinding"].(bool)
	return defences{required, str(args, "issuerJwksUrl")}
}

func repoKey(server, repoID string) string { return server + "\n" + repoID }

func nowMillis() int64 { return time.Now().UnixMilli() }

func newUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// --- identity and authentication -------------------------------------------------------------------

func optionalKey(args object, name string) ([]byte, error) {
	v, present := args[name]
	if !present {
		return randomBytes(32), nil
	}
	s, _ := v.(string)
	b, err := decodeStd(s)
	if err != nil {
		return nil, fail("invalid_encoding", "%s must be strict standard base64", name)
	}
	if len(b) != 32 {
		return nil, fail("invalid_key", "%s must be 32 bytes", name)
	}
	return b, nil
}

func (s *Session) setIdentity(args object) (any, error) {
	seed, err := optionalKey(args, "ed25519SeedB64")
	if err != nil {
		return nil, err
	}
	xPrivate, err := optionalKey(args, "x25519PrivateB64")
	if err != nil {
		return nil, err
	}
	xKey, err := x25519Private(xPrivate)
	if err != nil {
		return nil, err
	}
	*s = Session{
		ed:      ed25519.NewKeyFromSeed(seed),
		x:       xPrivate,
		xPublic: encodeStd(xKey.PublicKey().Bytes()),
		tokens:  map[string]cachedToken{},
		repos:   map[string]*repoState{},
		held:    map[string][][]byte{},
		issuer:  map[string][][]byte{},
	}
	s.memberID = encodeStd(s.ed.Public().(ed25519.PublicKey))
	return object{
		"ed25519PublicKey": s.memberID,
		"x25519PublicKey":  s.xPublic,
		"inviteToken":      encodeInvite(invite{s.memberID, s.xPublic}),
	}, nil
}

func (s *Session) authenticate(server string) (cachedToken, error) {
	ch, err := request(server, "POST", "/api/auth/keypair/challenge", object{"ed25519PublicKey": s.memberID}, "")
	if err != nil {
		return cachedToken{}, err
	}
	nonce, err := decodeStd(str(ch, "nonce"))
	if err != nil || str(ch, "nonce") == "" {
		return cachedToken{}, protocolError("challenge answer has no base64 nonce")
	}
	t, err := request(server, "POST", "/api/auth/keypair/token", object{
		"ed25519PublicKey": s.memberID,
		"nonce":            str(ch, "nonce"),
		"signature":        encodeStd(ed25519.Sign(s.ed, nonce)),
	}, "")
	if err != nil {
		return cachedToken{}, err
	}
	if str(t, "token") == "" {
		return cachedToken{}, protocolError("token answer has no token")
	}
	expires, err := counter(t["expiresAt"], "expiresAt")
	if err != nil {
		return cachedToken{}, err
	}
	got := cachedToken{str(t, "token"), expires}
	s.tokens[server] = got
	return got, nil
}

func (s *Session) token(server string) (string, error) {
	if cached, ok := s.tokens[server]; ok && cached.expiresAt-tokenMarginMillis > nowMillis() {
		return cached.token, nil
	}
	t, err := s.authenticate(server)
	return t.token, err
}

// vault sends a vault request; a 401 on a cached token means it expired early: log in again, once.
func (s *Session) vault(server, method, path string, body any) (object, error) {
	_, wasCached := s.tokens[server]
	token, err := s.token(server)
	if err != nil {
		return nil, err
	}
	answer, err := request(server, method, path, body, token)
	if ce, ok := err.(*ClientError); ok && wasCached && ce.Status == 401 {
		delete(s.tokens, server)
		if token, err = s.token(server); err != nil {
			return nil, err
		}
		return request(server, method, path, body, token)
	}
	return answer, err
}

// --- repositories ----------------------------------------------------------------------------------

func (s *Session) entryFor(dataKey []byte, ed, x string, binding any, keyEpoch int64) (object, error) {
	xRaw, err := decodeStdLen(x, 32)
	if err != nil {
		return nil, fail("invalid_key", "member X25519 key is not a base64 32-byte key")
	}
	wk, err := wrapDataKey(dataKey, xRaw, nil, nil)
	if err != nil {
		return nil, err
	}
	entry := object{"ed25519PublicKey": ed, "x25519PublicKey": x, "wrappedDataKey": wk.object(), "keyEpoch": keyEpoch}
	if sig, ok := binding.(string); ok {
		entry["keyBindingSig"] = sig
	}
	return entry, nil
}

func (s *Session) seal(dataKey []byte, repoID string, pv, ke int64, alts []any) (object, error) {
	iv := randomBytes(12)
	ct, err := encryptPayload(dataKey, repoID, pv, ke, toJSON(object{"alts": alts, "payloadVersion": pv}), iv)
	if err != nil {
		return nil, err
	}
	return object{"repoId": repoID, "payloadVersion": pv, "keyEpoch": ke, "iv": encodeStd(iv), "ciphertext": encodeStd(ct)}, nil
}

func (s *Session) hold(repoID string, key []byte) {
	for _, k := range s.held[repoID] {
		if string(k) == string(key) {
			return
		}
	}
	s.held[repoID] = append(s.held[repoID], key)
}

func (s *Session) remember(server string, m *manifest, dataKey []byte, alts []any) *repoState {
	key := repoKey(server, m.RepoID)
	state := &repoState{manifest: m, dataKey: dataKey, alts: alts, highVersion: m.PayloadVersion, highEpoch: m.KeyEpoch, pinned: map[string]string{}}
	if prev := s.repos[key]; prev != nil {
		state.pinned = prev.pinned
		state.highVersion = max(prev.highVersion, m.PayloadVersion)
		state.highEpoch = max(prev.highEpoch, m.KeyEpoch)
	}
	for _, e := range m.Members {
		if _, known := state.pinned[e.Ed]; !known {
			state.pinned[e.Ed] = e.X
		}
	}
	s.repos[key] = state
	s.hold(m.RepoID, dataKey)
	return state
}

func hostOf(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return "", badRequest("server must be a base URL such as http://127.0.0.1:8787")
	}
	return u.Host, nil
}

func (s *Session) createRepo(args object) (any, error) {
	server, err := argString(args, "server")
	if err != nil {
		return nil, err
	}
	host, err := hostOf(server)
	if err != nil {
		return nil, err
	}
	repoID := newUUID()
	if _, given := args["repoId"]; given {
		if repoID, err = argString(args, "repoId"); err != nil {
			return nil, err
		}
	}
	share, hasShare := args["shareRefreshTokens"]
	if _, isBool := share.(bool); hasShare && !isBool {
		return nil, badRequest("args.shareRefreshTokens must be a boolean")
	}
	raw, present := args["alts"]
	if !present {
		raw = []any{}
	}
	alts, err := altList(raw, "args.alts")
	if err != nil {
		return nil, err
	}
	alts = applyPolicy(alts, share)
	dataKey := randomBytes(32)
	mine, err := s.entryFor(dataKey, s.memberID, s.xPublic, args["keyBindingSig"], 0)
	if err != nil {
		return nil, err
	}
	sent := object{"repoId": repoID, "schemeId": schemeID, "keyEpoch": 0, "payloadVersion": 1, "members": []any{mine}}
	if hasShare {
		sent["shareRefreshTokens"] = share
	}
	envelope, err := s.seal(dataKey, repoID, 1, 0, alts)
	if err != nil {
		return nil, err
	}
	answer, err := s.vault(server, "POST", "/v1/repos", object{"manifest": sent, "initialEnvelope": envelope})
	if err != nil {
		return nil, err
	}
	served, err := parseManifest(answer, repoID)
	if err != nil {
		return nil, err
	}
	s.remember(server, served, dataKey, alts)
	return object{"repoId": repoID, "address": formatAddress(host, repoID), "payloadVersion": 1, "keyEpoch": 0}, nil
}

// fetchState pulls and checks everything the client can check, then unwraps and decrypts.
func (s *Session) fetchState(server, repoID string) (*repoState, bool, error) {
	prev := s.repos[repoKey(server, repoID)]
	var known int64
	if prev != nil {
		known = prev.manifest.PayloadVersion
	}
	answer, err := s.vault(server, "POST", repoPath(repoID)+"/pull", object{"repoId": repoID, "knownPayloadVersion": known})
	if err != nil {
		return nil, false, err
	}
	m, err := parseManifest(answer["manifest"], repoID)
	if err != nil {
		return nil, false, err
	}
	if prev != nil && (m.PayloadVersion < prev.highVersion || m.KeyEpoch < prev.highEpoch) {
		return nil, false, fail("rollback_detected", "the server served an older payloadVersion or keyEpoch than already seen")
	}
	for _, e := range m.Members {
		if prev != nil {
			if pin, ok := prev.pinned[e.Ed]; ok && pin != e.X {
				return nil, false, fail("key_changed", "a known member's X25519 key changed")
			}
		}
	}
	if answer["unchanged"] == true {
		// Only the version this client holds can be unchanged (versions start at 1, known at 0).
		if prev == nil || m.PayloadVersion != known {
			return nil, false, protocolError("'unchanged' for a version this client does not hold")
		}
		return s.remember(server, m, prev.dataKey, prev.alts), true, nil
	}
	env, _ := answer["envelope"].(object)
	if str(env, "iv") == "" || str(env, "ciphertext") == "" {
		return nil, false, protocolError("pull answer has no envelope")
	}
	var mine *member
	for i := range m.Members {
		if m.Members[i].Ed == s.memberID {
			mine = &m.Members[i]
		}
	}
	if mine == nil {
		return nil, false, protocolError("this identity is not in the served roster")
	}
	dataKey, err := unwrapDataKey(mine.Wrapped, s.x)
	if err != nil {
		return nil, false, err
	}
	iv, err1 := decodeStd(str(env, "iv"))
	ct, err2 := decodeStd(str(env, "ciphertext"))
	if err1 != nil || err2 != nil {
		return nil, false, fail("invalid_encoding", "envelope iv/ciphertext are not strict base64")
	}
	// The AAD is what this client expects (its repoId, the manifest's counters): a replayed or
	// relabelled envelope fails authentication instead of being believed.
	pt, err := decryptPayload(dataKey, repoID, m.PayloadVersion, m.KeyEpoch, iv, ct)
	if err != nil {
		return nil, false, err
	}
	alts, err := parsePayload(pt, m.Share)
	if err != nil {
		return nil, false, err
	}
	return s.remember(server, m, dataKey, alts), false, nil
}

func parsePayload(pt []byte, share any) ([]any, error) {
	doc, err := parseJSON(pt)
	payload, ok := doc.(object)
	if err != nil || !ok {
		return nil, protocolError("decrypted payload is not a JSON object")
	}
	alts, err := altList(payload["alts"], "payload.alts")
	if err != nil {
		return nil, protocolError("decrypted payload has no alt list")
	}
	return applyPolicy(alts, share), nil
}

func serverAndRepo(args object) (string, string, error) {
	server, err := argString(args, "server")
	if err != nil {
		return "", "", err
	}
	repoID, err := argString(args, "repoId")
	return server, repoID, err
}

func (s *Session) pull(args object) (any, error) {
	server, repoID, err := serverAndRepo(args)
	if err != nil {
		return nil, err
	}
	state, unchanged, err := s.fetchState(server, repoID)
	if err != nil {
		return nil, err
	}
	m := state.manifest
	return object{
		"unchanged": unchanged, "payloadVersion": m.PayloadVersion, "keyEpoch": m.KeyEpoch,
		"alts": state.alts, "members": memberIDs(m), "shareRefreshTokens": m.Share,
	}, nil
}

func (s *Session) pushOnce(server string, state *repoState, alts []any) (object, error) {
	m := state.manifest
	next, err := counter(m.PayloadVersion+1, "payloadVersion")
	if err != nil {
		return nil, err
	}
	clean := applyPolicy(alts, m.Share)
	envelope, err := s.seal(state.dataKey, m.RepoID, next, m.KeyEpoch, clean)
	if err != nil {
		return nil, err
	}
	answer, err := s.vault(server, "POST", repoPath(m.RepoID)+"/push", object{
		"repoId": m.RepoID, "envelope": envelope, "expectedPayloadVersion": m.PayloadVersion,
	})
	if err != nil {
		return nil, err
	}
	pv, err := counter(answer["payloadVersion"], "payloadVersion")
	if err != nil {
		return nil, err
	}
	ke, err := counter(answer["keyEpoch"], "keyEpoch")
	if err != nil {
		return nil, err
	}
	accepted := answer["accepted"] == true
	if accepted {
		pushed := *m
		pushed.PayloadVersion = next
		s.remember(server, &pushed, state.dataKey, clean)
	}
	return object{"accepted": accepted, "conflict": answer["conflict"] == true, "payloadVersion": pv, "keyEpoch": ke}, nil
}

func (s *Session) push(args object) (any, error) {
	server, repoID, err := serverAndRepo(args)
	if err != nil {
		return nil, err
	}
	alts, err := altList(args["alts"], "args.alts")
	if err != nil {
		return nil, err
	}
	state := s.repos[repoKey(server, repoID)]
	if state == nil {
		if state, _, err = s.fetchState(server, repoID); err != nil {
			return nil, err
		}
	}
	return s.pushOnce(server, state, alts)
}

func (s *Session) update(args object) (any, error) {
	server, repoID, err := serverAndRepo(args)
	if err != nil {
		return nil, err
	}
	add, err := altList(args["addAlts"], "args.addAlts")
	if err != nil {
		return nil, err
	}
	for attempt := 1; attempt <= maxUpdateAttempts; attempt++ {
		state, _, err := s.fetchState(server, repoID)
		if err != nil {
			return nil, err
		}
		r, err := s.pushOnce(server, state, append(append([]any{}, state.alts...), add...))
		if err != nil {
			return nil, err
		}
		if r["accepted"] == true {
			return object{"payloadVersion": r["payloadVersion"], "keyEpoch": r["keyEpoch"], "attempts": attempt}, nil
		}
	}
	return nil, fail("conflict", "push still conflicted after %d attempts", maxUpdateAttempts)
}

func (s *Session) addMember(args object) (any, error) {
	server, repoID, err := serverAndRepo(args)
	if err != nil {
		return nil, err
	}
	token, err := argString(args, "inviteToken")
	if err != nil {
		return nil, err
	}
	joiner, err := decodeInvite(token)
	if err != nil {
		return nil, err
	}
	var binding any
	if sig, ok := args["keyBindingSig"].(string); ok {
		binding = sig
	}
	state, _, err := s.fetchState(server, repoID)
	if err != nil {
		return nil, err
	}
	if err := s.checkBinding(server, joiner.Ed25519PublicKey, joiner.X25519PublicKey, binding, defencesOf(args)); err != nil {
		return nil, err
	}
	entry, err := s.entryFor(state.dataKey, joiner.Ed25519PublicKey, joiner.X25519PublicKey, binding, state.manifest.KeyEpoch)
	if err != nil {
		return nil, err
	}
	answer, err := s.vault(server, "POST", repoPath(repoID)+"/add-member", object{"repoId": repoID, "member": entry})
	if err != nil {
		return nil, err
	}
	served, err := parseManifest(answer, repoID)
	if err != nil {
		return nil, err
	}
	s.remember(server, served, state.dataKey, state.alts)
	return object{"members": memberIDs(served)}, nil
}

func (s *Session) removeMember(args object) (any, error) {
	server, repoID, err := serverAndRepo(args)
	if err != nil {
		return nil, err
	}
	removed, err := argString(args, "memberId")
	if err != nil {
		return nil, err
	}
	state, _, err := s.fetchState(server, repoID)
	if err != nil {
		return nil, err
	}
	m := state.manifest
	var remaining []member
	for _, e := range m.Members {
		if e.Ed != removed {
			remaining = append(remaining, e)
		}
	}
	if len(remaining) == len(m.Members) {
		return nil, fail("not_found", "no such member in the served roster")
	}
	d := defencesOf(args)
	for _, e := range remaining {
		if e.Ed != s.memberID {
			if err := s.checkBinding(server, e.Ed, e.X, e.Binding, d); err != nil {
				return nil, err
			}
		}
	}
	newKey := randomBytes(32)
	epoch, version := m.KeyEpoch+1, m.PayloadVersion+1
	if _, err := counter(version, "payloadVersion"); err != nil {
		return nil, err
	}
	if _, err := counter(epoch, "keyEpoch"); err != nil {
		return nil, err
	}
	rewrapped := make([]any, 0, len(remaining))
	for _, e := range remaining {
		entry, err := s.entryFor(newKey, e.Ed, e.X, e.Binding, epoch)
		if err != nil {
			return nil, err
		}
		rewrapped = append(rewrapped, entry)
	}
	envelope, err := s.seal(newKey, repoID, version, epoch, state.alts)
	if err != nil {
		return nil, err
	}
	answer, err := s.vault(server, "POST", repoPath(repoID)+"/remove-member", object{
		"repoId": repoID, "removedMemberId": removed, "rotatedEnvelope": envelope,
		"rewrappedMembers": rewrapped, "newKeyEpoch": epoch,
	})
	if err != nil {
		return nil, err
	}
	served, err := parseManifest(answer, repoID)
	if err != nil {
		return nil, err
	}
	s.remember(server, served, newKey, state.alts)
	return object{"payloadVersion": served.PayloadVersion, "keyEpoch": served.KeyEpoch, "members": memberIDs(served)}, nil
}

func (s *Session) fetchMember(args object) (any, error) {
	server, repoID, err := serverAndRepo(args)
	if err != nil {
		return nil, err
	}
	memberID, err := argString(args, "memberId")
	if err != nil {
		return nil, err
	}
	entry, err := s.vault(server, "GET", repoPath(repoID)+"/member/"+escapeSegment(memberID), nil)
	if err != nil {
		return nil, err
	}
	x := str(entry, "x25519PublicKey")
	if str(entry, "ed25519PublicKey") != memberID || x == "" {
		return nil, protocolError("served entry is for another member")
	}
	if state := s.repos[repoKey(server, repoID)]; state != nil {
		if pin, ok := state.pinned[memberID]; ok && pin != x {
			return nil, fail("key_changed", "the member's X25519 key changed")
		}
	}
	if err := s.checkBinding(server, memberID, x, entry["keyBindingSig"], defencesOf(args)); err != nil {
		return nil, err
	}
	return entry, nil
}

func (s *Session) keyBinding(args object) (any, error) {
	server, err := argString(args, "server")
	if err != nil {
		return nil, err
	}
	r, err := s.vault(server, "POST", "/v1/key-binding", object{"x25519PublicKey": s.xPublic})
	if err != nil {
		return nil, err
	}
	return object{"keyBindingSig": r["keyBindingSig"], "issuerJwksUrl": r["issuerJwksUrl"]}, nil
}

func (s *Session) locator(args object) (any, error) {
	server, repoID, err := serverAndRepo(args)
	if err != nil {
		return nil, err
	}
	host, err := hostOf(server)
	if err != nil {
		return nil, err
	}
	loc := locator{Host: host, RepoID: repoID, SchemeID: schemeID}
	if state := s.repos[repoKey(server, repoID)]; state != nil {
		loc.KeyEpoch = &state.manifest.KeyEpoch
	}
	return object{"token": encodeLocator(loc), "address": formatAddress(host, repoID)}, nil
}

func (s *Session) join(args object) (any, error) {
	token, err := argString(args, "locatorToken")
	if err != nil {
		return nil, err
	}
	loc, err := decodeLocator(token)
	if err != nil {
		return nil, err
	}
	server := "http://" + loc.Host
	state, _, err := s.fetchState(server, loc.RepoID)
	if err != nil {
		return nil, err
	}
	m := state.manifest
	return object{"server": server, "repoId": loc.RepoID, "payloadVersion": m.PayloadVersion, "keyEpoch": m.KeyEpoch, "alts": state.alts}, nil
}

func (s *Session) openEnvelope(args object) (any, error) {
	repoID, err := argString(args, "repoId")
	if err != nil {
		return nil, err
	}
	env, ok := args["envelope"].(object)
	if !ok {
		return nil, badRequest("args.envelope must be an EncryptedEnvelope")
	}
	iv, err1 := decodeStd(str(env, "iv"))
	ct, err2 := decodeStd(str(env, "ciphertext"))
	if err1 != nil || err2 != nil {
		return nil, fail("invalid_encoding", "envelope iv/ciphertext are not strict base64")
	}
	var share any
	for _, state := range s.repos {
		if state.manifest.RepoID == repoID {
			share = state.manifest.Share
		}
	}
	for _, key := range s.held[repoID] {
		pt, err := decryptPayload(key, repoID, env["payloadVersion"], env["keyEpoch"], iv, ct)
		if codeOf(err) == "invalid_tag" {
			continue
		}
		if err != nil {
			return nil, err
		}
		alts, err := parsePayload(pt, share)
		if err != nil {
			return nil, err
		}
		return object{"alts": alts}, nil
	}
	return nil, fail("invalid_tag", "no data key this actor holds or held opens the envelope")
}

// --- key bindings ----------------------------------------------------------------------------------

func (s *Session) checkBinding(server, ed, x string, binding any, d defences) error {
	if !d.requireBinding {
		return nil
	}
	text, _ := binding.(string)
	sig, err := decodeStdLen(text, 64)
	if err != nil {
		return fail("binding_invalid", "member has no well-formed keyBindingSig")
	}
	keys, err := s.issuerKeys(server, d.issuerJwksURL)
	if err != nil {
		return err
	}
	message := []byte(ed + "|" + x)
	for _, k := range keys {
		if verifyStrict(k, message, sig) {
			return nil
		}
	}
	return fail("binding_invalid", "keyBindingSig does not verify against the issuer key")
}

func (s *Session) issuerKeys(server, configured string) ([][]byte, error) {
	jwksURL := configured
	if jwksURL == "" {
		disco, err := request(server, "GET", "/.well-known/avp", nil, "")
		if err != nil {
			return nil, err
		}
		if jwksURL = str(disco, "issuerJwksUrl"); jwksURL == "" {
			return nil, fail("binding_invalid", "the server publishes no issuerJwksUrl")
		}
	}
	if cached, ok := s.issuer[jwksURL]; ok {
		return cached, nil
	}
	jwks, err := request(jwksURL, "GET", "", nil, "")
	if err != nil {
		return nil, err
	}
	list, _ := jwks["keys"].([]any)
	var keys [][]byte
	for _, raw := range list {
		k, _ := raw.(object)
		if str(k, "kty") != "OKP" || str(k, "crv") != "Ed25519" {
			continue
		}
		if x, err := decodeURL(str(k, "x")); err == nil && len(x) == 32 {
			keys = append(keys, x)
		}
	}
	s.issuer[jwksURL] = keys
	return keys, nil
}

// randomSession starts with a fresh random identity (before the first `identity` request).
func randomSession() *Session {
	s := &Session{}
	if _, err := s.setIdentity(object{}); err != nil {
		panic(err)
	}
	return s
}
