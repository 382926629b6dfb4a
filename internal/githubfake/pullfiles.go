package githubfake

import (
	"fmt"
	"net/http"
	"strconv"

	gh "github.com/google/go-github/v60/github"
)

// SetPullRequestFiles sets the files GET /repos/{owner}/{repo}/pulls/{number}/files
// lists for a pull request. A renamed file names its former path in
// PreviousFilename, as GitHub's does.
func (s *Server) SetPullRequestFiles(repo string, number int, files []*gh.CommitFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pullFiles == nil {
		s.pullFiles = map[string][]*gh.CommitFile{}
	}
	s.pullFiles[fmt.Sprintf("%s#%d", repo, number)] = files
}

// servePullRequestFiles answers as GitHub does: pages of per_page files (30
// unless asked, at most 100), a Link header to the next and last pages,
// and no more than 3,000 files in all. An unknown pull request is a 404.
// The caller holds s.mu.
func (s *Server) servePullRequestFiles(w http.ResponseWriter, r *http.Request, repo, number string) {
	files, ok := s.pullFiles[repo+"#"+number]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files"})
		return
	}
	files = files[:min(len(files), 3000)]
	perPage := 30
	if n, err := strconv.Atoi(r.URL.Query().Get("per_page")); err == nil && n > 0 {
		perPage = min(n, 100)
	}
	page := 1
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n > 0 {
		page = n
	}
	last := max(1, (len(files)+perPage-1)/perPage)
	from := min((page-1)*perPage, len(files))
	to := min(from+perPage, len(files))
	if page < last {
		link := func(p int) string {
			u := *r.URL
			q := u.Query()
			q.Set("page", strconv.Itoa(p))
			q.Set("per_page", strconv.Itoa(perPage))
			u.RawQuery = q.Encode()
			return "<" + s.URL + u.Path[1:] + "?" + u.RawQuery + ">"
		}
		w.Header().Set("Link", link(page+1)+`; rel="next", `+link(last)+`; rel="last"`)
	}
	writeJSON(w, http.StatusOK, files[from:to])
}
