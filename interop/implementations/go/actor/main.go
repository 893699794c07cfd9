// Command avp-actor-go is the Go client actor of the interop runner (docs/actor-contract.md):
// JSON requests on stdin, one JSON reply per line on stdout, strictly in order; diagnostics go to
// stderr only. Standard library only.
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
)

const version = "0.1.0"

type handler func(s *Session, args object) (any, error)

var ops map[string]handler

func init() {
	ops = map[string]handler{
		"hello":         func(*Session, object) (any, error) { return hello(), nil },
		"identity":      (*Session).setIdentity,
		"authenticate":  authenticateOp,
		"create_repo":   (*Session).createRepo,
		"pull":          (*Session).pull,
		"push":          (*Session).push,
		"update":        (*Session).update,
		"add_member":    (*Session).addMember,
		"remove_member": (*Session).removeMember,
		"fetch_member":  (*Session).fetchMember,
		"key_binding":   (*Session).keyBinding,
		"locator":       (*Session).locator,
		"join":          (*Session).join,
		"open_envelope": (*Session).openEnvelope,
		"verify_vectors": func(_ *Session, args object) (any, error) {
			dir, err := argString(args, "dir")
			if err != nil {
				return nil, err
			}
			return object{"files": verifyVectorDir(dir)}, nil
		},
	}
}

func hello() object {
	names := []string{"shutdown"}
	for name := range ops {
		names = append(names, name)
	}
	sort.Strings(names)
	return object{"name": "avp-actor-go", "language": "go", "version": version, "ops": names}
}

func authenticateOp(s *Session, args object) (any, error) {
	server, err := argString(args, "server")
	if err != nil {
		return nil, err
	}
	t, err := s.authenticate(server)
	if err != nil {
		return nil, err
	}
	return object{"expiresAt": t.expiresAt}, nil
}

func errorObject(err error) object {
	if ce, ok := err.(*ClientError); ok {
		var status any
		if ce.Status != 0 {
			status = ce.Status
		}
		return object{"code": ce.Code, "message": ce.Message, "status": status}
	}
	fmt.Fprintf(os.Stderr, "actor: unexpected error: %v\n", err)
	return object{"code": "avp_error", "message": err.Error(), "status": nil}
}

// serve answers requests until shutdown or the end of input.
func serve(in *bufio.Reader, out *bufio.Writer) {
	session := randomSession()
	reply := func(line object) {
		out.Write(toJSON(line))
		out.WriteByte('\n')
		out.Flush()
	}
	for {
		line, readErr := in.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			if !answer(session, line, reply) {
				return
			}
		}
		if readErr != nil {
			return
		}
	}
}

// answer handles one request line; false after shutdown.
func answer(session *Session, line string, reply func(object)) bool {
	parsed, err := parseJSON([]byte(line))
	req, ok := parsed.(object)
	if err != nil || !ok {
		reply(object{"id": nil, "ok": false, "error": object{"code": "bad_request", "message": "request is not a JSON object", "status": nil}})
		return true
	}
	id := req["id"]
	op, _ := req["op"].(string)
	if op == "shutdown" {
		reply(object{"id": id, "ok": true, "result": object{}})
		return false
	}
	h, known := ops[op]
	if !known {
		reply(object{"id": id, "ok": false, "error": object{"code": "unsupported", "message": fmt.Sprintf("op %q is not implemented", op), "status": nil}})
		return true
	}
	args, _ := req["args"].(object)
	if args == nil {
		args = object{}
	}
	result, err := h(session, args)
	if err != nil {
		reply(object{"id": id, "ok": false, "error": errorObject(err)})
	} else {
		reply(object{"id": id, "ok": true, "result": result})
	}
	return true
}

func main() {
	serve(bufio.NewReaderSize(os.Stdin, 1<<20), bufio.NewWriter(os.Stdout))
}
