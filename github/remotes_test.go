package github

import (
	"strings"
	"testing"

	"github.com/githedgehog/fgd-sync/fgderr"
)

func TestAllowedRemotes(t *testing.T) {
	allowed := AllowedRemotes{"https://github.com/", "http://127.0.0.1:8080/git/"}
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://github.com/acme/fabric.git", true},
		{"HTTPS://GitHub.com/acme/fabric.git", true},
		{"https://github.com.evil.example/acme/x.git", false},
		{"https://evil.example/github.com/x.git", false},
		{"http://github.com/acme/fabric.git", false}, // plain http leaks the token
		{"http://127.0.0.1:8080/git/fabric.git", true},
		{"http://127.0.0.1:8080/git/../other/x.git", false},
		{"http://127.0.0.1:8081/git/fabric.git", false},
		{"file:///srv/repo.git", false},
		{"/srv/repo.git", false},
		{"../repo", false},
		{"git@github.com:acme/fabric.git", false},
		{"https://user:pass@github.com/acme/fabric.git", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			err := allowed.Check(tt.url)
			if (err == nil) != tt.ok {
				t.Fatalf("Check(%q) = %v, want ok=%v", tt.url, err, tt.ok)
			}
			if err != nil {
				if fgderr.CodeOf(err) != fgderr.PathEscape || !strings.Contains(err.Error(), "clone_url") {
					t.Fatalf("error %v: want FGD_2002 naming clone_url", err)
				}
				if strings.Contains(err.Error(), "pass") {
					t.Fatalf("error shows credentials: %v", err)
				}
			}
		})
	}
	if err := (AllowedRemotes{"file:///srv/"}).Check("file:///srv/repo.git"); err != nil {
		t.Fatalf("file:// allowed exactly: %v", err)
	}
}
