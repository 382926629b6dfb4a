package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/adminapi"
)

// newTokenCommand is "token create|list|rm"; --url and --token are the
// group's, shared by its subcommands.
func newTokenCommand(e *env) *cobra.Command {
	var cf clientFlags
	cmd := groupCommand("token", "Create, list or revoke scoped API tokens",
		newTokenCreateCommand(e, &cf), newTokenListCommand(e, &cf), newTokenRmCommand(e, &cf))
	cmd.Long = `token manages the scoped tokens of the admin API; it needs an admin token.
A token has a role (read, trigger or admin) and a scope (fabric names, or * for every
fabric). Its secret is shown once, by create; the server keeps only its SHA-256.`
	cf.register(cmd.PersistentFlags())
	return cmd
}

func newTokenCreateCommand(e *env, cf *clientFlags) *cobra.Command {
	var (
		role    roleFlag
		scope   []string
		expires time.Duration
		out     output
	)
	cmd := &cobra.Command{
		Use:   "create NAME --role read|trigger|admin --fabrics FABRIC,…|'*' [--expires-in DURATION]",
		Short: "Create a token and print its secret, once",
		Long: `create makes a token and prints its secret on stdout, alone on its line, so that
TOKEN=$(fgdctl token create …) keeps it; what the token may do goes to stderr. With
-o json or -o yaml it prints the whole answer, the secret in "token". The secret is
never shown again: revoke the token and create another if it is lost.

Roles: read may GET the fabrics, syncs and resources in its scope; trigger may also
start syncs there; admin may do everything, and its scope is always '*'.`,
		Example: `  fgdctl token create ci-dc1 --role trigger --fabrics dc1 --expires-in 24h
  fgdctl token create viewer --role read --fabrics '*'
  fgdctl token create ops --role admin --fabrics '*' -o json`,
		Args: exactArgs(1, "one token name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case role == "":
				return usageErrorf("token create needs --role: %s", strings.Join(roleNames(), ", "))
			case len(scope) == 0:
				return usageErrorf("token create needs --fabrics: fabric names, or '*' for every fabric")
			case cmd.Flags().Changed("expires-in") && (expires < adminapi.MinExpiresIn || expires > adminapi.MaxExpiresIn):
				return usageErrorf("--expires-in takes %s to %s, not %s",
					shortDuration(adminapi.MinExpiresIn), shortDuration(adminapi.MaxExpiresIn), shortDuration(expires))
			}
			req := adminapi.CreateRequest{Name: args[0], Role: adminapi.Role(role), Fabrics: scope}
			if cmd.Flags().Changed("expires-in") {
				req.ExpiresIn = expires.String()
			}
			created, err := call[adminapi.CreatedToken](cmd, e, cf, http.MethodPost, pathOf("tokens"), req)
			if err != nil {
				return err
			}
			if out != outputTable {
				return out.print(e.stdout, created, nil)
			}
			// Only the secret on stdout; the rest, which a script does not
			// keep, on stderr.
			fmt.Fprintf(e.stderr, "token %s created: role %s on %s, expires %s; the secret is not shown again\n",
				created.Name, created.Role, strings.Join(created.Fabrics, ","), created.ExpiresAt.Format(time.RFC3339))
			_, err = fmt.Fprintln(e.stdout, created.Token)
			return err
		},
	}
	fl := cmd.Flags()
	fl.Var(&role, "role", "what the token may do: "+strings.Join(roleNames(), ", "))
	fl.StringSliceVar(&scope, "fabrics", nil, "the fabrics it covers, comma-separated, or '*' for every fabric")
	fl.DurationVar(&expires, "expires-in", 0, fmt.Sprintf("lifetime, such as 24h: %s to %s (default %s)",
		shortDuration(adminapi.MinExpiresIn), shortDuration(adminapi.MaxExpiresIn), shortDuration(adminapi.DefaultExpiresIn)))
	_ = cmd.RegisterFlagCompletionFunc("role", cobra.FixedCompletions(roleNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fabrics", func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		names, directive := cf.completeFabricNames(e)(cmd, nil, toComplete) // nil: NAME is not a fabric
		return append(names, cobra.CompletionWithDesc(adminapi.AllFabrics, "every fabric")), directive
	})
	addOutputFlag(cmd, &out)
	return cmd
}

func newTokenListCommand(e *env, cf *clientFlags) *cobra.Command {
	var out output
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tokens: names, roles, scopes, expiry, last use (never a secret)",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := call[adminapi.TokenList](cmd, e, cf, http.MethodGet, pathOf("tokens"), nil)
			if err != nil {
				return err
			}
			return out.print(e.stdout, list, func(w io.Writer) {
				rows := make([][]string, 0, len(list.Tokens))
				for _, t := range list.Tokens {
					expires := t.ExpiresAt.Format(time.RFC3339)
					if t.Expired {
						expires += " (expired)"
					}
					lastUsed := "never"
					if t.LastUsedAt != nil {
						lastUsed = t.LastUsedAt.Format(time.RFC3339)
					}
					rows = append(rows, []string{t.Name, string(t.Role), strings.Join(t.Fabrics, ","), expires, lastUsed, orDash(t.CreatedBy)})
				}
				writeRows(w, "NAME\tROLE\tFABRICS\tEXPIRES\tLAST USED\tCREATED BY", rows)
			})
		},
	}
	addOutputFlag(cmd, &out)
	return cmd
}

func newTokenRmCommand(e *env, cf *clientFlags) *cobra.Command {
	var out output
	cmd := &cobra.Command{
		Use:               "rm NAME",
		Short:             "Revoke a token: it is refused from the next request on",
		Args:              exactArgs(1, "one token name"),
		ValidArgsFunction: cf.completeTokenNames(e),
		RunE: func(cmd *cobra.Command, args []string) error {
			revoked, err := call[adminapi.TokenRevoked](cmd, e, cf, http.MethodDelete, pathOf("tokens", args[0]), nil)
			if err != nil {
				return err
			}
			return out.print(e.stdout, revoked, func(w io.Writer) {
				fmt.Fprintf(w, "token %s revoked\n", revoked.Name)
			})
		},
	}
	addOutputFlag(cmd, &out)
	return cmd
}

// completeTokenNames completes a token name argument from the server's
// list, when the environment or the flags name a server and an admin token.
func (f *clientFlags) completeTokenNames(e *env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := f.client(e)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var list adminapi.TokenList
		if err := c.do(cmd.Context(), http.MethodGet, pathOf("tokens"), nil, &list); err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]cobra.Completion, 0, len(list.Tokens))
		for _, t := range list.Tokens {
			names = append(names, cobra.CompletionWithDesc(t.Name, string(t.Role)+" on "+strings.Join(t.Fabrics, ",")))
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// roleFlag is --role: one of the roles, so a bad one is a flag error
// (exit 2) before anything runs.
type roleFlag adminapi.Role

func (r *roleFlag) String() string { return string(*r) }

func (r *roleFlag) Set(s string) error {
	if !adminapi.Role(s).Valid() {
		return fmt.Errorf("takes %s, not %q", strings.Join(roleNames(), ", "), s)
	}
	*r = roleFlag(s)
	return nil
}

func (r *roleFlag) Type() string { return "role" }

func roleNames() []string {
	var names []string
	for _, r := range adminapi.Roles() {
		names = append(names, string(r))
	}
	return names
}

// shortDuration writes 720h rather than 720h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// orDash is s, or "-" for a table cell when s is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
