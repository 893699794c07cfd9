package main

// Federation tokens and addresses (protocol notes §7): invite requests and repo locators are
// base64url (no padding) over minified JSON in the spec's member order, read in any order; an
// address is avp://<host[:port]>/<repoId>, the repoId being everything after the first '/'.

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type invite struct{ Ed25519PublicKey, X25519PublicKey string }

type locator struct {
	Host, RepoID, SchemeID, IssuerJwksURL string
	KeyEpoch                              *int64
}

func decodeToken(token string) (object, error) {
	raw, err := decodeURL(token)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(raw) {
		return nil, fail("invalid_encoding", "token is not UTF-8")
	}
	v, err := parseJSON(raw)
	if err != nil {
		return nil, fail("invalid_encoding", "token is not JSON")
	}
	doc, ok := v.(object)
	n, isNum := doc["v"].(json.Number)
	if !ok || !isNum {
		return nil, fail("invalid_encoding", "token is not an object with a numeric v")
	}
	if n != "1" {
		return nil, fail("unsupported_scheme", "token version %s is not 1", n)
	}
	return doc, nil
}

func key32(doc object, name string) (string, error) {
	s, ok := doc[name].(string)
	if !ok {
		return "", fail("invalid_encoding", "%s is not a string", name)
	}
	if _, err := decodeStdLen(s, 32); err != nil {
		return "", fail("invalid_encoding", "%s is not a base64 32-byte key", name)
	}
	return s, nil
}

// orderedJSON writes {"k":v,...} in the given member order (the spec's canonical form).
func orderedJSON(pairs ...any) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(toJSON(pairs[i]))
		b.WriteByte(':')
		b.Write(toJSON(pairs[i+1]))
	}
	b.WriteByte('}')
	return []byte(b.String())
}

func encodeInvite(i invite) string {
	return encodeURL(orderedJSON("v", 1, "ed25519PublicKey", i.Ed25519PublicKey, "x25519PublicKey", i.X25519PublicKey))
}

func decodeInvite(token string) (invite, error) {
	doc, err := decodeToken(token)
	if err != nil {
		return invite{}, err
	}
	ed, err := key32(doc, "ed25519PublicKey")
	if err != nil {
		return invite{}, err
	}
	x, err := key32(doc, "x25519PublicKey")
	return invite{ed, x}, err
}

func encodeLocator(l locator) string {
	pairs := []any{"v", 1, "host", l.Host, "repoId", l.RepoID}
	if l.SchemeID != "" {
		pairs = append(pairs, "schemeId", l.SchemeID)
	}
	if l.KeyEpoch != nil {
		pairs = append(pairs, "keyEpoch", *l.KeyEpoch)
	}
	if l.IssuerJwksURL != "" {
		pairs = append(pairs, "issuerJwksUrl", l.IssuerJwksURL)
	}
	return encodeURL(orderedJSON(pairs...))
}

func decodeLocator(token string) (locator, error) {
	doc, err := decodeToken(token)
	if err != nil {
		return locator{}, err
	}
	host, _ := doc["host"].(string)
	repoID, _ := doc["repoId"].(string)
	if host == "" || strings.ContainsFunc(host, func(r rune) bool { return r == '/' || unicode.IsSpace(r) }) {
		return locator{}, fail("invalid_encoding", "locator host is malformed")
	}
	if repoID == "" {
		return locator{}, fail("invalid_encoding", "locator repoId is malformed")
	}
	out := locator{Host: host, RepoID: repoID}
	for name, field := range map[string]*string{"schemeId": &out.SchemeID, "issuerJwksUrl": &out.IssuerJwksURL} {
		if v, present := doc[name]; present && v != nil {
			s, ok := v.(string)
			if !ok {
				return locator{}, fail("invalid_encoding", "locator %s is not a string", name)
			}
			*field = s
		}
	}
	if v, present := doc["keyEpoch"]; present && v != nil {
		if _, ok := v.(json.Number); !ok {
			return locator{}, fail("invalid_encoding", "locator keyEpoch is not a number")
		}
		epoch, err := counter(v, "locator keyEpoch")
		if err != nil {
			return locator{}, err
		}
		out.KeyEpoch = &epoch
	}
	return out, nil
}

func formatAddress(host, repoID string) string { return "avp://" + host + "/" + repoID }

// host: letters, digits, '-', '.', '_' or a bracketed IPv6 literal; an optional port 1-65535.
var addressHost = regexp.MustCompile(`^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$`)

// forbiddenInRepoID: whitespace (as JavaScript's \s sees it), control characters, '?' and '#'.
func forbiddenInRepoID(r rune) bool {
	return unicode.IsSpace(r) || r == '\ufeff' || r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '?' || r == '#'
}

func parseAddress(uri string) (host, repoID string, err error) {
	bad := func(why string) error {
		return fail("invalid_address", "not an avp://<host>/<repoId> address: %s", why)
	}
	rest, ok := strings.CutPrefix(uri, "avp://")
	if !ok {
		return "", "", bad("the scheme must be avp://")
	}
	host, repoID, ok = strings.Cut(rest, "/")
	if !ok {
		return "", "", bad("no repoId")
	}
	m := addressHost.FindStringSubmatch(host)
	if m == nil {
		return "", "", bad("malformed host")
	}
	if m[1] != "" {
		if port, _ := strconv.Atoi(m[1]); port < 1 || port > 65535 {
			return "", "", bad("port out of range")
		}
	}
	if repoID == "" || strings.ContainsFunc(repoID, forbiddenInRepoID) {
		return "", "", bad("empty repoId, or whitespace, a control character, '?' or '#' in it")
	}
	return host, repoID, nil
}
