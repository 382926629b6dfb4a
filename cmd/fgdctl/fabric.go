package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/githedgehog/fgd-sync/adminapi"
	"github.com/githedgehog/fgd-sync/fabrics"
)

// newFabricCommand is "fabric add|list|get|rm"; --url and --token are the
// group's, shared by its subcommands.
func newFabricCommand(e *env) *cobra.Command {
	var cf clientFlags
	cmd := groupCommand("fabric", "Add, list, show or remove fabrics",
		newFabricAddCommand(e, &cf), newFabricListCommand(e, &cf), newFabricGetCommand(e, &cf), newFabricRmCommand(e, &cf))
	cf.register(cmd.PersistentFlags())
	return cmd
}

func newFabricAddCommand(e *env, cf *clientFlags) *cobra.Command {
	var (
		file     string
		f        fabrics.Fabric
		interval durationFlag
		out      output
	)
	cmd := &cobra.Command{
		Use:   "add (-f FILE | --name NAME --repository OWNER/NAME [flags])",
		Short: "Register a fabric and queue its init sync",
		Long: `add registers a fabric and queues its init sync, which creates the FGD structure in
the repository where it is missing. The fabric comes from a YAML or JSON file of one
entry of the fabrics file (docs/contract.md), or from the flags.`,
		Example: `  fgdctl fabric add -f dc1.yaml
  fgdctl fabric add --name dc1 --repository acme/fabric-config --path fabrics/dc1`,
		Args: exactArgs(0, "no arguments; the fabric comes from -f or the flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var body any
			switch {
			case file != "" && (f.Name != "" || f.Repository != ""):
				return usageErrorf("fabric add takes -f FILE or --name and --repository, not both")
			case file != "":
				raw, err := os.ReadFile(file)
				if err != nil {
					return usageErrorf("fabric add: %v", err)
				}
				// Sent as written: the server checks every field, with its codes.
				doc, err := yaml.YAMLToJSON(raw)
				if err != nil {
					return usageErrorf("fabric add: %s is not YAML: %v", file, err)
				}
				body = json.RawMessage(doc)
			case f.Name == "" || f.Repository == "":
				return usageErrorf("fabric add needs -f FILE, or --name and --repository")
			default:
				if interval.set {
					f.SyncInterval = interval.d
				}
				f.Normalize() // the defaults, sent explicitly
				body = f
			}
			created, err := call[adminapi.FabricCreated](cmd, e, cf, http.MethodPost, pathOf("fabrics"), body)
			if err != nil {
				return err
			}
			return out.print(e.stdout, created, func(w io.Writer) {
				fmt.Fprintf(w, "fabric %s created; init sync %s queued\n", created.Fabric.Name, created.SyncID)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&file, "file", "f", "", "YAML or JSON file of one fabric (an entry of the fabrics file)")
	fl.StringVar(&f.Name, "name", "", "fabric name (DNS label)")
	fl.StringVar(&f.Repository, "repository", "", "GitHub owner/name")
	fl.StringVar(&f.CloneURL, "clone-url", "", "clone URL, when not https://github.com/<repository>.git")
	fl.StringVar(&f.Branch, "branch", "", "branch (default "+fabrics.DefaultBranch+")")
	fl.StringVar(&f.Path, "path", "", "FGD folder in the repository (default "+fabrics.DefaultPath+")")
	fl.StringVar(&f.Namespace, "namespace", "", "fabric namespace (default "+fabrics.DefaultNamespace+")")
	fl.Var(&interval, "sync-interval", "periodic sync, such as 5m; 0 disables (default "+fabrics.DefaultSyncInterval.String()+")")
	fl.StringVar(&f.WriteMode, "write-mode", "", "push or pull-request (default push)")
	_ = cmd.RegisterFlagCompletionFunc("write-mode", cobra.FixedCompletions(
		[]string{fabrics.WriteModePush, fabrics.WriteModePullRequest}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.MarkFlagFilename("file", "yaml", "yml", "json")
	addOutputFlag(cmd, &out)
	return cmd
}

// durationFlag is --sync-interval: a fabrics.Duration, read the way the
// fabrics file reads it, and whether it was given.
type durationFlag struct {
	d   fabrics.Duration
	set bool
}

func (f *durationFlag) String() string {
	if !f.set {
		return ""
	}
	return f.d.String()
}

func (f *durationFlag) Set(s string) error {
	if err := f.d.UnmarshalJSON([]byte(strconv.Quote(s))); err != nil {
		return err
	}
	f.set = true
	return nil
}

func (f *durationFlag) Type() string { return "duration" }

func newFabricListCommand(e *env, cf *clientFlags) *cobra.Command {
	var out output
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the fabrics",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := call[adminapi.FabricList](cmd, e, cf, http.MethodGet, pathOf("fabrics"), nil)
			if err != nil {
				return err
			}
			return out.print(e.stdout, list, func(w io.Writer) {
				rows := make([][]string, 0, len(list.Fabrics))
				for _, f := range list.Fabrics {
					rows = append(rows, []string{f.Name, f.Repository, f.Branch, f.Path, f.Namespace, f.SyncInterval.String(), f.WriteMode})
				}
				writeRows(w, "NAME\tREPOSITORY\tBRANCH\tPATH\tNAMESPACE\tINTERVAL\tMODE", rows)
			})
		},
	}
	addOutputFlag(cmd, &out)
	return cmd
}

func newFabricGetCommand(e *env, cf *clientFlags) *cobra.Command {
	var out output
	cmd := &cobra.Command{
		Use:               "get NAME",
		Short:             "Show one fabric",
		Args:              exactArgs(1, "one fabric name"),
		ValidArgsFunction: cf.completeFabricNames(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := call[fabrics.Fabric](cmd, e, cf, http.MethodGet, pathOf("fabrics", args[0]), nil)
			if err != nil {
				return err
			}
			return out.print(e.stdout, f, func(w io.Writer) {
				fmt.Fprintf(w, "name\t%s\nrepository\t%s\nclone url\t%s\nbranch\t%s\npath\t%s\nnamespace\t%s\nsync interval\t%s\nwrite mode\t%s\n",
					f.Name, f.Repository, f.CloneURL, f.Branch, f.Path, f.Namespace, f.SyncInterval.String(), f.WriteMode)
			})
		},
	}
	addOutputFlag(cmd, &out)
	return cmd
}

func newFabricRmCommand(e *env, cf *clientFlags) *cobra.Command {
	var out output
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove a fabric (its repository is untouched)",
		Long: `rm removes a fabric from the registry and queues its cleanup: the cached clone, the
lock and the inventory go; the sync records stay their 30 days; the repository is never
touched.`,
		Args:              exactArgs(1, "one fabric name"),
		ValidArgsFunction: cf.completeFabricNames(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			deleted, err := call[adminapi.FabricDeleted](cmd, e, cf, http.MethodDelete, pathOf("fabrics", args[0]), nil)
			if err != nil {
				return err
			}
			return out.print(e.stdout, deleted, func(w io.Writer) {
				fmt.Fprintf(w, "fabric %s deleted (the repository is untouched)\n", deleted.Fabric.Name)
			})
		},
	}
	addOutputFlag(cmd, &out)
	return cmd
}
