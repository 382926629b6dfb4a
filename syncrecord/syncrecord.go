// Package syncrecord declares what a sync records: the sync record and the
// entries of a fabric's resource inventory (docs/contract.md). It holds
// types only: the worker stores them (package store, in Redis), the admin
// API answers them (handlers), and fgdctl prints them, so that a client
// links no Redis and every side reads one shape.
package syncrecord

import (
	"time"

	"github.com/githedgehog/fgd-sync/ingestion"
)

// Sync states: queued, running and retrying while a sync is under way;
// succeeded, partial and failed when it has ended.
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateRetrying  = "retrying"
	StateSucceeded = "succeeded"
	StatePartial   = "partial"
	StateFailed    = "failed"
)

// Terminal reports whether a sync in state has ended.
func Terminal(state string) bool {
	return state == StateSucceeded || state == StatePartial || state == StateFailed
}

// Stage is one timed step of a sync.
type Stage struct {
	Name       string `json:"name"`
	DurationMS int64  `json:"duration_ms"`
}

// Record is the sync record. fgdctl ingest prints one for a local run too.
type Record struct {
	ID            string            `json:"id"`
	Fabric        string            `json:"fabric"`
	Trigger       string            `json:"trigger"`
	State         string            `json:"state"`
	CorrelationID string            `json:"correlation_id"`
	CreatedAt     time.Time         `json:"created_at"`
	StartedAt     *time.Time        `json:"started_at"`
	FinishedAt    *time.Time        `json:"finished_at"`
	Commit        string            `json:"commit"`
	Attempt       int               `json:"attempt"`
	Stages        []Stage           `json:"stages"`
	Counts        ingestion.Counts  `json:"counts"`
	Errors        []ingestion.Issue `json:"errors"`
	Warnings      []ingestion.Issue `json:"warnings"`
	// Head is the branch head the sync processed; PullRequest the URL of the
	// pull request it opened in pull-request mode; CoalescedInto the sync
	// that covers this trigger when another sync of the fabric was running.
	Head          string `json:"head,omitempty"`
	PullRequest   string `json:"pull_request,omitempty"`
	CoalescedInto string `json:"coalesced_into,omitempty"`
	ValidateOnly  bool   `json:"validate_only,omitempty"`
	// Covers lists the syncs a follow-up covers, each of which names it in
	// CoalescedInto. Fence is the fencing token the sync took right before
	// its push, also in its commits' FGD-Fence trailer.
	Covers []string `json:"covers,omitempty"`
	Fence  int64    `json:"fence,omitempty"`
	// PullRequestNumber and HeadSHA name the pull request a sync with
	// trigger pull_request validated, and the head commit it was asked to
	// validate (the one its commit status is posted on).
	PullRequestNumber int    `json:"pull_request_number,omitempty"`
	HeadSHA           string `json:"head_sha,omitempty"`
}

// Resource is one entry of a fabric's inventory: the desired state of one
// managed resource as of the fabric's last successful sync.
type Resource struct {
	APIVersion  string         `json:"apiVersion"`
	Kind        string         `json:"kind"`
	Namespace   string         `json:"namespace"`
	Name        string         `json:"name"`
	Path        string         `json:"path"`
	Labels      map[string]any `json:"labels,omitempty"`
	Annotations map[string]any `json:"annotations,omitempty"`
	Spec        any            `json:"spec"`
	Commit      string         `json:"commit"`
}
