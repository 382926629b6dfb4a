// Package report writes the outcome of a validation for machines: JSON for
// scripts, and SARIF 2.1.0 for GitHub code scanning, which then shows each
// error on its line of the pull request.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/githedgehog/fgd-sync/fgderr"
	"github.com/githedgehog/fgd-sync/ingestion"
)

// Options shape the reports.
type Options struct {
	// ToolVersion is fgd-sync's version, written into SARIF's driver.
	ToolVersion string
	// PathPrefix is prepended to every file: the FGD's folder inside the
	// repository, so that a SARIF location is relative to the repository
	// root, as code scanning expects. Empty or "." for none.
	PathPrefix string
}

// Result is the JSON shape of a validation.
type Result struct {
	Valid    bool              `json:"valid"`
	Counts   ingestion.Counts  `json:"counts"`
	Errors   []ingestion.Issue `json:"errors"`
	Warnings []ingestion.Issue `json:"warnings"`
}

// WriteJSON writes the plan's verdict, counts, errors and warnings as one
// indented JSON object.
func WriteJSON(w io.Writer, p *ingestion.Plan, opts Options) error {
	r := Result{Valid: len(p.Errors) == 0, Counts: p.Counts, Errors: prefixed(p.Errors, opts), Warnings: prefixed(p.Warnings, opts)}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func prefixed(is []ingestion.Issue, opts Options) []ingestion.Issue {
	out := make([]ingestion.Issue, len(is))
	for i, is := range is {
		is.File = withPrefix(is.File, opts.PathPrefix)
		out[i] = is
	}
	return out
}

func withPrefix(file, prefix string) string {
	if file == "" || prefix == "" || prefix == "." {
		return file
	}
	return path.Join(prefix, file)
}

// The links SARIF rules point to.
const (
	informationURI = "https://github.com/githedgehog/fgd-sync"
	codesURI       = informationURI + "/blob/main/docs/codes.md"
	rulesURI       = informationURI + "/blob/main/docs/hedgehog-rules.md"
)

// SARIF builds a SARIF 2.1.0 log of the plan: one run of the tool
// fgd-sync, one rule per rule id met, one result per error (level error)
// and per warning (level warning). A result's rule is the Hedgehog rule
// that was broken (VPC-12, …) when there is one, else the FGD code; its
// location is the file and line of the issue.
func SARIF(p *ingestion.Plan, opts Options) *sarif.Report {
	run := sarif.NewRunWithInformationURI("fgd-sync", informationURI)
	if opts.ToolVersion != "" {
		run.Tool.Driver.WithVersion(opts.ToolVersion)
	}
	run.WithResults([]*sarif.Result{})
	add := func(is ingestion.Issue, level string) {
		id := ruleID(is)
		if run.GetRuleIndex(id) < 0 {
			describeRule(run.AddRule(id), is)
		}
		text := string(is.Code) + " " + is.Message
		if is.Path != "" {
			text = string(is.Code) + " " + is.Path + ": " + is.Message
		}
		res := run.CreateResultForRule(id).WithLevel(level).WithMessage(sarif.NewTextMessage(text))
		res.WithProperties(sarif.NewPropertyBag().Add("code", string(is.Code)))
		if is.File != "" {
			line := max(is.Line, 1) // a whole-file issue points at the file's first line
			res.AddLocation(sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
				WithArtifactLocation(sarif.NewSimpleArtifactLocation(withPrefix(is.File, opts.PathPrefix))).
				WithRegion(sarif.NewRegion().WithStartLine(line))))
		}
	}
	for _, is := range p.Errors {
		add(is, "error")
	}
	for _, is := range p.Warnings {
		add(is, "warning")
	}
	return sarif.NewReport().AddRun(run)
}

// WriteSARIF writes SARIF(p, opts), indented.
func WriteSARIF(w io.Writer, p *ingestion.Plan, opts Options) error {
	if err := SARIF(p, opts).PrettyWrite(w); err != nil {
		return fmt.Errorf("write SARIF: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func ruleID(is ingestion.Issue) string {
	if is.Rule != "" {
		return is.Rule
	}
	return string(is.Code)
}

// describeRule names a rule for code scanning's rule list.
func describeRule(r *sarif.ReportingDescriptor, is ingestion.Issue) {
	if is.Rule != "" {
		section := strings.SplitN(is.Rule, "-", 2)[0]
		r.WithName(is.Rule).WithDescription("Hedgehog rule " + is.Rule + " (" + section + "), enforced by Hedgehog's fabric controller").
			WithHelpURI(rulesURI)
		return
	}
	r.WithName(string(is.Code)).WithDescription(is.Code.Info().Meaning).WithHelpURI(codesURI)
	if is.Code == fgderr.Integrity {
		r.WithHelpURI(informationURI + "/blob/main/docs/contract.md#references-across-resources")
	}
}
