package main

// The client's HTTP transport: JSON in, JSON out, every failure a ClientError with the server's
// `code` (or one derived from the status) and the HTTP status.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

var codeByStatus = map[int]string{
	400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
	405: "method_not_allowed", 409: "conflict", 413: "too_large", 429: "quota_exceeded",
}

var httpClient = &http.Client{Timeout: 60 * time.Second}

// request sends body (nil: none) to server+path and returns the answer's JSON object.
func request(server, method, path string, body any, token string) (object, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(toJSON(body))
	}
	req, err := http.NewRequest(method, server+path, reader)
	if err != nil {
		return nil, fail("transport_error", "%s %s: %v", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return nil, fail("transport_error", "%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	text, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fail("transport_error", "%s %s: %v", method, path, err)
	}
	parsed, parseErr := parseJSON(text)
	doc, isObj := parsed.(object)
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if parseErr != nil || !isObj {
			return nil, &ClientError{"protocol_error", fmt.Sprintf("%s %s: the answer is not a JSON object", method, path), res.StatusCode}
		}
		return doc, nil
	}
	code, _ := doc["code"].(string)
	if code == "" {
		code = codeByStatus[res.StatusCode]
	}
	if code == "" {
		code = "protocol_error"
		if res.StatusCode >= 500 {
			code = "server_error"
		}
	}
	message, _ := doc["error"].(string)
	if message == "" {
		message = fmt.Sprintf("HTTP %d", res.StatusCode)
	}
	return nil, &ClientError{code, fmt.Sprintf("%s %s: %s", method, path, message), res.StatusCode}
}

// escapeSegment percent-encodes everything outside RFC 3986's unreserved set ('+', '/', '=' too).
func escapeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func repoPath(repoID string) string { return "/v1/repos/" + escapeSegment(repoID) }
