// Package githubfake is the one fake fgd-sync's tests allow: an httptest
// server that answers the GitHub REST API calls fgd-sync makes, as GitHub
// documents them, and records them.
package githubfake

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v4"
	gh "github.com/google/go-github/v60/github"
)

// Status is one commit status that was posted.
type Status struct {
	Repo, SHA, State, Context, Description string
}

// CheckRun is one check run that was created.
type CheckRun struct {
	Repo        string
	Options     gh.CreateCheckRunOptions
	Annotations []*gh.CheckRunAnnotation
}

// App makes the fake a GitHub App's world: App endpoints need a JWT signed
// with Key for AppID, and they mint InstallationToken. Slug names the App
// (GET /app); what it creates is authored by "<Slug>[bot]".
type App struct {
	ID                int64
	Slug              string
	Key               *rsa.PublicKey
	InstallationID    int64
	InstallationToken string
}

// DefaultLogin is the login of the token's user (GET /user) unless
// Server.Login says otherwise.
const DefaultLogin = "fgd-sync-user"

// Server is the fake API.
type Server struct {
	URL   string
	Token string // the token every call must carry
	App   *App
	Login string // the token's user; pull requests it opens are authored by it

	mu          sync.Mutex
	statuses    []Status
	prs         []*gh.PullRequest
	calls       []string
	checkRuns   []CheckRun
	minted      int
	rateLimited int // calls to answer with a rate-limit 403
	resetIn     time.Duration

	// pullFiles maps "owner/repo#number" to the pull request's changed files.
	pullFiles map[string][]*gh.CommitFile
}

// New starts the fake.
func New(t testing.TB, token string) *Server {
	s := &Server{Token: token, Login: DefaultLogin}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/"
	return s
}

// RateLimitNext makes the next n calls answer 403 with X-RateLimit-Remaining
// 0 and a reset resetIn ahead, as GitHub does.
func (s *Server) RateLimitNext(n int, resetIn time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimited, s.resetIn = n, resetIn
}

// Statuses returns the statuses posted so far.
func (s *Server) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Status(nil), s.statuses...)
}

// PullRequests returns the pull requests opened so far.
func (s *Server) PullRequests() []*gh.PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*gh.PullRequest(nil), s.prs...)
}

// AddPullRequest opens a pull request as someone else did: pr's number,
// state and URL are set; its User, Head and Base (with their Repo) are as
// given. It returns the number.
func (s *Server) AddPullRequest(repo string, pr *gh.PullRequest) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.prs) + 1
	pr.Number, pr.State = gh.Int(n), gh.String("open")
	pr.HTMLURL = gh.String(fmt.Sprintf("https://github.com/%s/pull/%d", repo, n))
	s.prs = append(s.prs, pr)
	return n
}

// Repository is the repository object GitHub embeds in a pull request's
// head and base.
func Repository(fullName string) *gh.Repository {
	owner, name, _ := strings.Cut(fullName, "/")
	var id int64
	for _, c := range strings.ToLower(fullName) {
		id = id*31 + int64(c)
	}
	return &gh.Repository{ID: gh.Int64(id & 0x7fffffff), Name: gh.String(name), FullName: gh.String(fullName), Owner: &gh.User{Login: gh.String(owner)}}
}

// author is who the calls' credentials act as: the token's user, or the
// App's bot.
func (s *Server) author() *gh.User {
	if s.App != nil {
		return &gh.User{Login: gh.String(s.appSlug() + "[bot]"), Type: gh.String("Bot")}
	}
	return &gh.User{Login: gh.String(s.Login), Type: gh.String("User")}
}

func (s *Server) appSlug() string {
	if s.App.Slug != "" {
		return s.App.Slug
	}
	return "fgd-sync"
}

// paginate answers one page of list as GitHub does: per_page (default 30,
// at most 100) and page (from 1), with a Link header naming the next,
// last, first and previous pages.
func paginate[T any](w http.ResponseWriter, r *http.Request, list []T) []T {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	last := max((len(list)+per-1)/per, 1)
	link := func(p int, rel string) string {
		u := *r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(per))
		u.RawQuery = v.Encode()
		return fmt.Sprintf("<http://%s%s>; rel=%q", r.Host, u.RequestURI(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	from := min((page-1)*per, len(list))
	return list[from:min(from+per, len(list))]
}

// CheckRuns returns the check runs created so far.
func (s *Server) CheckRuns() []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CheckRun(nil), s.checkRuns...)
}

// TokensMinted counts installation tokens handed out.
func (s *Server) TokensMinted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.minted
}

// validJWT checks an App JWT: RS256, signed by the App's key, issued by it.
func (s *Server) validJWT(header string) bool {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || s.App == nil {
		return false
	}
	tok, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) {
		if _, ok := t.Method.(*jwt.SigningMethodRSA); !ok {
			return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
		}
		return s.App.Key, nil
	})
	if err != nil || !tok.Valid {
		return false
	}
	claims, _ := tok.Claims.(jwt.MapClaims)
	iss := fmt.Sprint(claims["iss"])
	return iss == strconv.FormatInt(s.App.ID, 10)
}

// Calls lists "METHOD path" of every call.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if s.App != nil {
		// App endpoints: the JWT. Everything else: the installation token.
		switch {
		case len(parts) == 4 && parts[0] == "repos" && parts[3] == "installation" && r.Method == http.MethodGet:
			if !s.validJWT(r.Header.Get("Authorization")) {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "A JSON web token could not be decoded"})
				return
			}
			writeJSON(w, http.StatusOK, &gh.Installation{ID: gh.Int64(s.App.InstallationID), AppID: gh.Int64(s.App.ID)})
			return
		case len(parts) == 1 && parts[0] == "app" && r.Method == http.MethodGet:
			if !s.validJWT(r.Header.Get("Authorization")) {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "A JSON web token could not be decoded"})
				return
			}
			writeJSON(w, http.StatusOK, &gh.App{ID: gh.Int64(s.App.ID), Slug: gh.String(s.appSlug()), Name: gh.String(s.appSlug())})
			return
		case len(parts) == 4 && parts[0] == "app" && parts[1] == "installations" && parts[3] == "access_tokens" && r.Method == http.MethodPost:
			if !s.validJWT(r.Header.Get("Authorization")) || parts[2] != strconv.FormatInt(s.App.InstallationID, 10) {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "A JSON web token could not be decoded"})
				return
			}
			s.minted++
			writeJSON(w, http.StatusCreated, &gh.InstallationToken{Token: gh.String(s.App.InstallationToken),
				ExpiresAt: &gh.Timestamp{Time: time.Now().Add(time.Hour)}})
			return
		}
		if r.Header.Get("Authorization") != "token "+s.App.InstallationToken {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
			return
		}
	} else if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	w.Header().Set("X-RateLimit-Limit", "5000")
	if s.rateLimited > 0 {
		s.rateLimited--
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Used", "5000")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(s.resetIn).Unix()+1, 10))
		writeJSON(w, http.StatusForbidden, map[string]string{
			"message":           "API rate limit exceeded for installation ID 1.",
			"documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
		})
		return
	}
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))

	// user: the token's user; an installation token has none.
	if len(parts) == 1 && parts[0] == "user" && r.Method == http.MethodGet {
		if s.App != nil {
			writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user"})
			return
		}
		writeJSON(w, http.StatusOK, &gh.User{Login: gh.String(s.Login), ID: gh.Int64(1), Type: gh.String("User")})
		return
	}
	// repos/{owner}/{repo}/check-runs
	if len(parts) == 4 && parts[0] == "repos" && parts[3] == "check-runs" && r.Method == http.MethodPost {
		var in gh.CreateCheckRunOptions
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Problems parsing JSON"})
			return
		}
		if in.Output != nil && len(in.Output.Annotations) > 50 {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Only 50 annotations are allowed per request"})
			return
		}
		cr := CheckRun{Repo: parts[1] + "/" + parts[2], Options: in}
		if in.Output != nil {
			cr.Annotations = in.Output.Annotations
		}
		s.checkRuns = append(s.checkRuns, cr)
		writeJSON(w, http.StatusCreated, &gh.CheckRun{ID: gh.Int64(int64(len(s.checkRuns))), Name: gh.String(in.Name), HeadSHA: gh.String(in.HeadSHA)})
		return
	}
	// repos/{owner}/{repo}/check-runs/{id}: more annotations
	if len(parts) == 5 && parts[0] == "repos" && parts[3] == "check-runs" && r.Method == http.MethodPatch {
		id, _ := strconv.Atoi(parts[4])
		var in gh.UpdateCheckRunOptions
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || id < 1 || id > len(s.checkRuns) {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Validation Failed"})
			return
		}
		if in.Output != nil {
			s.checkRuns[id-1].Annotations = append(s.checkRuns[id-1].Annotations, in.Output.Annotations...)
		}
		writeJSON(w, http.StatusOK, &gh.CheckRun{ID: gh.Int64(int64(id)), Name: gh.String(in.Name)})
		return
	}
	// repos/{owner}/{repo}/statuses/{sha}
	if len(parts) == 5 && parts[0] == "repos" && parts[3] == "statuses" && r.Method == http.MethodPost {
		var in gh.RepoStatus
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Problems parsing JSON"})
			return
		}
		s.statuses = append(s.statuses, Status{Repo: parts[1] + "/" + parts[2], SHA: parts[4], State: in.GetState(), Context: in.GetContext(), Description: in.GetDescription()})
		in.ID = gh.Int64(int64(len(s.statuses)))
		writeJSON(w, http.StatusCreated, in)
		return
	}
	// repos/{owner}/{repo}/pulls[/{number}]
	if len(parts) >= 4 && parts[0] == "repos" && parts[3] == "pulls" {
		repo := parts[1] + "/" + parts[2]
		switch {
		case len(parts) == 6 && parts[5] == "files" && r.Method == http.MethodGet:
			s.servePullRequestFiles(w, r, repo, parts[4])
		case len(parts) == 4 && r.Method == http.MethodGet:
			// Newest first, as GitHub's default sort (created, desc).
			open := []*gh.PullRequest{}
			for i := len(s.prs) - 1; i >= 0; i-- {
				pr := s.prs[i]
				if pr.GetState() == "open" && (r.URL.Query().Get("base") == "" || pr.GetBase().GetRef() == r.URL.Query().Get("base")) {
					open = append(open, pr)
				}
			}
			writeJSON(w, http.StatusOK, paginate(w, r, open))
		case len(parts) == 4 && r.Method == http.MethodPost:
			var in gh.NewPullRequest
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Problems parsing JSON"})
				return
			}
			n := len(s.prs) + 1
			pr := &gh.PullRequest{Number: gh.Int(n), State: gh.String("open"), Title: in.Title, Body: in.Body, User: s.author(),
				Head: &gh.PullRequestBranch{Ref: in.Head, Repo: Repository(repo)}, Base: &gh.PullRequestBranch{Ref: in.Base, Repo: Repository(repo)},
				HTMLURL: gh.String(fmt.Sprintf("https://github.com/%s/pull/%d", repo, n))}
			s.prs = append(s.prs, pr)
			writeJSON(w, http.StatusCreated, pr)
		case len(parts) == 5 && r.Method == http.MethodPatch:
			n, _ := strconv.Atoi(parts[4])
			if n < 1 || n > len(s.prs) {
				writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
				return
			}
			var in gh.PullRequest
			_ = json.NewDecoder(r.Body).Decode(&in)
			pr := s.prs[n-1]
			if in.Title != nil {
				pr.Title = in.Title
			}
			if in.Body != nil {
				pr.Body = in.Body
			}
			writeJSON(w, http.StatusOK, pr)
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		}
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}
