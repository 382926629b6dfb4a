package handlers

import (
	"net/http"
	"strings"

	"github.com/githedgehog/fgd-sync/fgderr"
)

// SameOrigin refuses cross-site requests (CSRF) to a browser UI such as the
// dashboard: a request other than GET or HEAD passes only when the browser
// says it comes from one of the server's own pages. Browsers send
// Sec-Fetch-Site, which scripts cannot set; it must be "same-origin". A
// client that does not send it must send an Origin equal to the server's
// own (scheme and Host of the request; https when the request came over TLS
// or a proxy says X-Forwarded-Proto: https). Anything else is answered 403
// and never reaches next.
func SameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead || sameOrigin(r) {
			next.ServeHTTP(w, r)
			return
		}
		writeError(w, fgderr.Forbidden, "cross-site request refused: "+r.Method+" on the dashboard is accepted only from its own pages "+
			"(Sec-Fetch-Site: same-origin, or an Origin equal to "+ownOrigin(r)+")")
	})
}

func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origin := r.Header.Get("Origin")
	return origin != "" && strings.EqualFold(origin, ownOrigin(r))
}

// ownOrigin is the origin the request was addressed to.
func ownOrigin(r *http.Request) string {
	scheme := "http"
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	if r.TLS != nil || strings.EqualFold(strings.TrimSpace(proto), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
