package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/githedgehog/fgd-sync/ingestion"
)

func newInitCommand(e *env) *cobra.Command {
	var fabric, namespace string
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Create the FGD structure in a folder, where missing",
		Long: `init creates raw/, managed/, unmanaged/, .hnp/manifest.yaml and README.md in DIR
where they are missing; it changes nothing that exists.`,
		Example: `  fgdctl init ./dc1 --fabric dc1`,
		Args:    exactArgs(1, "exactly one folder"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return usageErrorf("init: %v", err)
			}
			root, err := openFabricDir(dir)
			if err != nil {
				return usageErrorf("init: %v", err)
			}
			defer root.Close()
			if fabric == "" {
				abs, _ := filepath.Abs(dir)
				fabric = filepath.Base(abs)
			}
			bundle, err := loadBundle()
			if err != nil {
				return err
			}
			plan, err := ingestion.InitPlan(root.FS(), bundle, fabric, namespace)
			if err != nil {
				return fmt.Errorf("init: %w", err)
			}
			if err := applyPlan(cmd.Context(), dir, plan); err != nil {
				return fmt.Errorf("init: %w", err)
			}
			for _, w := range plan.Writes {
				fmt.Fprintf(e.stdout, "created  %s\n", w.Path)
			}
			if len(plan.Writes) == 0 {
				fmt.Fprintln(e.stdout, "nothing to do: the structure is complete")
			}
			printIssues(e.stderr, plan)
			if len(plan.Errors) > 0 {
				return rejected()
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&fabric, "fabric", "", "fabric name for the manifest (default: the folder's name)")
	cmd.Flags().StringVar(&namespace, "namespace", ingestion.DefaultNamespace, "the fabric namespace")
	return cmd
}
