package main

import "fmt"

// ClientError is a failure with a code of the project vocabulary (avp/errors.py) and, for an
// HTTP error, the status the server answered (0 for a client-side error).
type ClientError struct {
	Code    string
	Message string
	Status  int
}

func (e *ClientError) Error() string { return e.Code + ": " + e.Message }

func fail(code, format string, args ...any) *ClientError {
	return &ClientError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// codeOf is the ClientError code of err, or "" for any other error.
func codeOf(err error) string {
	if ce, ok := err.(*ClientError); ok {
		return ce.Code
	}
	return ""
}
