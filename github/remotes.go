package github

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// AllowedRemotes is the list of URL prefixes a clone URL must start with
// (HEDGEHOG_FGD_GIT_ALLOWED_URLS). fgd-sync sends its GitHub credentials to
// a remote, and go-git runs local hooks for file:// and path remotes, so a
// clone URL is an instruction from whoever registered the fabric: only
// remotes on this list are ever contacted.
type AllowedRemotes []string

// Check returns nil when rawURL starts with one of the prefixes (scheme and
// host compared in lower case), else an FGD_2002 error naming clone_url that
// a person can act on. Local paths, file:// and http:// pass only when a
// prefix allows exactly them.
func (a AllowedRemotes) Check(rawURL string) error {
	canonical, ok := canonicalRemote(rawURL)
	if ok {
		for _, prefix := range a {
			if strings.HasPrefix(canonical, prefix) {
				return nil
			}
		}
	}
	return fgderr.New(fgderr.PathEscape, "clone_url %q is not allowed: it must start with one of %s (%s)",
		redactUserinfo(rawURL), strings.Join(a, ", "), "HEDGEHOG_FGD_GIT_ALLOWED_URLS")
}

// canonicalRemote lower-cases scheme and host; ok is false for anything that
// is not an absolute URL with a scheme (a local path, scp-like syntax) or
// that carries credentials.
func canonicalRemote(rawURL string) (string, bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	if u.Scheme != "file" && u.Host == "" {
		return "", false
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	// Cleaned so that /acme/../other/ cannot pass as /acme/.
	if strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/..") || strings.Contains(u.Path, "/./") {
		return "", false
	}
	return u.String(), true
}

// redactUserinfo drops any user:password from a URL before it is shown.
func redactUserinfo(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	u.User = nil
	return fmt.Sprintf("%s (credentials removed)", u.String())
}
