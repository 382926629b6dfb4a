package fgderr

import (
	"regexp"
	"strings"
)

var userinfoInURL = regexp.MustCompile(`(://)[^/@\s]+@`)

// Redact removes credentials from text that came from outside and may hold
// them: userinfo in URLs and the given secret values. It is the one place
// fgd-sync redacts; the GitHub side calls it where the text of a git or API
// error becomes an *Error, so no later layer sees a secret.
func Redact(s string, secrets ...string) string {
	s = userinfoInURL.ReplaceAllString(s, "${1}[redacted]@")
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}
