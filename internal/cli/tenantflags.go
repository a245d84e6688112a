package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/herdhq/herd"
)

// tenantsFlags are the flags of a command that reads tenants one at a time
// or many at once (analyze, drift): --tenant, --all or --tenants, and
// --concurrency.
type tenantsFlags struct {
	tenant      string
	all         bool
	tenants     string
	concurrency int
}

// register adds the flags to cmd; verb says what is done to the tenants
// ("measured").
func (t *tenantsFlags) register(cmd *cobra.Command, verb string) {
	cmd.Flags().StringVar(&t.tenant, "tenant", "", "the tenant with this code")
	cmd.Flags().BoolVar(&t.all, "all", false, "every tenant")
	cmd.Flags().StringVar(&t.tenants, "tenants", "", "the tenants SELECTOR names (codes, tier=T, server=S, tag:K=V, size=large|small or @FILE)")
	cmd.Flags().IntVar(&t.concurrency, "concurrency", 4,
		fmt.Sprintf("tenants %s at once with --all or --tenants (%d..%d)", verb, minConcurrency, maxConcurrency))
}

// check refuses anything but exactly one choice of tenants, a
// concurrency out of range, or an invalid --tenant code.
func (t *tenantsFlags) check() error {
	chosen := 0
	for _, set := range []bool{t.tenant != "", t.all, t.tenants != ""} {
		if set {
			chosen++
		}
	}
	if chosen != 1 {
		return usagef("say which tenants: --tenant CODE, --all or --tenants SELECTOR")
	}
	if err := checkConcurrency(t.concurrency); err != nil {
		return err
	}
	if t.tenant != "" {
		return herd.ValidateTenantCode(t.tenant)
	}
	return nil
}

// many reports whether the command reads many tenants (--all or
// --tenants); the first SIGINT then starts no other tenant (ctx).
func (t *tenantsFlags) many(ctx context.Context, a *app) (context.Context, bool) {
	if t.tenant != "" {
		return ctx, false
	}
	return a.interrupts.graceful(ctx), true
}

// selection is the tenants --all or --tenants names.
func (t *tenantsFlags) selection() herd.Selection {
	return herd.Selection{Tenants: t.tenants, AllowEmpty: t.all}
}
