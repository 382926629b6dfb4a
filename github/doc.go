// Package github is the GitHub API side of fgd-sync (go-github: commit
// statuses, check runs, pull requests, token and App authentication) and
// the circuit breakers shared with git. The go-git repository cache is in
// github/gitcache. It knows nothing of queues.
package github
