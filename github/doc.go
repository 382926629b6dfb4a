// Package github is the git side (the go-git repository cache: clone, fetch,
// commit, push) and the GitHub API side (go-github: statuses, check runs,
// pull requests, authentication) of fgd-sync. It knows nothing of queues.
package github
