package herd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/herdhq/herd/config"
	"github.com/herdhq/herd/control"
)

// CheckRelease says whether release (a release name or schema version;
// "" for the latest) may be used in the fleet's environment (herd.yaml's
// env of the configuration the Fleet was opened with): a pre-release or
// a release marked experimental is refused where allow_experimental is
// false, and, when the environment names another under after:, the
// release is refused until it has completed there. Refusals are input
// errors that give the reason. CheckRelease only reads.
func (f *Fleet) CheckRelease(ctx context.Context, release string) error {
	systemV, tenantV, err := f.ReleaseVersions(release)
	if err != nil {
		return err
	}
	if release == "" {
		release = "v" + tenantV
	}
	if err := f.checkExperimental(release, tenantV); err != nil {
		return err
	}
	env, ok := f.cfg.Environment(f.cfg.Env)
	if !ok || env.After == "" {
		return nil
	}
	prev, _ := f.cfg.Environment(env.After)
	done, why, err := f.completedIn(ctx, prev, systemV, tenantV)
	if err != nil {
		return fmt.Errorf("check that %s completed in %s (after: of %s): %w", release, prev.Name, env.Name, err)
	}
	if !done {
		return &InputError{Err: fmt.Errorf("release %s has not completed in %s, which %s comes after: %s; complete it there first (herd --env %s rollout start --to %s)",
			release, prev.Name, env.Name, why, prev.Name, release)}
	}
	return nil
}

// checkExperimental refuses a pre-release or experimental release where
// the configuration does not allow experiments.
func (f *Fleet) checkExperimental(release, tenantV string) error {
	if f.cfg.AllowExperimental {
		return nil
	}
	where := "this configuration"
	if f.cfg.Env != "" {
		where = "environment " + f.cfg.Env
	}
	if v, err := semver.NewVersion(tenantV); err == nil && v.Prerelease() != "" {
		return &InputError{Err: fmt.Errorf("release %s is a pre-release and %s does not allow experimental versions (allow_experimental: false)", release, where)}
	}
	if r, ok := f.cfg.Release(release); ok && r.Experimental {
		return &InputError{Err: fmt.Errorf("release %s is marked experimental and %s does not allow experimental versions (allow_experimental: false)", release, where)}
	}
	return nil
}

// completedIn reports whether environment env has completed a release of
// the given schema versions: its control database records a rollout to it
// or a later release that proves it (see provenBy), or (for fleets moved
// with herd migrate) it has tenants, and its system database and every
// tenant are at those versions or later. When not, why says what is
// missing.
func (f *Fleet) completedIn(ctx context.Context, env config.Environment, systemV, tenantV string) (done bool, why string, err error) {
	d, err := f.dialectFor(env.Control)
	if err != nil {
		return false, "", err
	}
	store, closeStore, err := control.AttachDSN(ctx, d, env.Control)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, fmt.Sprintf("%s has no control database yet", env.Name), nil
	case errors.Is(err, control.ErrControlSchemaOutdated):
		return false, fmt.Sprintf("%s has no up-to-date control database yet (%v)", env.Name, err), nil
	}
	if err != nil {
		return false, "", err
	}
	defer closeStore() //nolint:errcheck // read only: nothing to lose
	rollouts, err := store.Rollouts(ctx)
	if err != nil {
		return false, "", err
	}
	var unproven []string
	for _, r := range rollouts {
		if !atLeast(r.TenantVersion, tenantV) || !atLeast(r.SystemVersion, systemV) {
			continue
		}
		proven, why, err := provenBy(ctx, store, r)
		if err != nil {
			return false, "", err
		}
		if proven {
			return true, "", nil
		}
		unproven = append(unproven, why)
	}
	versions, err := store.Versions(ctx)
	if err != nil {
		return false, "", err
	}
	tenants, err := store.Tenants(ctx)
	if err != nil {
		return false, "", err
	}
	current := map[control.Ref]control.VersionState{}
	for _, v := range versions {
		current[v.Ref] = v
	}
	var missing []string
	if sys := current[control.SystemRef]; systemV != "" && !reached(sys, systemV) {
		missing = append(missing, fmt.Sprintf("its system database is at %s", versionLabel(sys.CurrentVersion)))
	}
	below := 0
	for _, t := range tenants {
		if !reached(current[control.TenantRef(t.Code)], tenantV) {
			below++
		}
	}
	switch {
	case len(tenants) == 0:
		missing = append(missing, "it has no tenants, so no tenant has run the release")
	case below > 0:
		missing = append(missing, fmt.Sprintf("%d of its %d tenants are below v%s", below, len(tenants), tenantV))
	}
	if len(missing) == 0 {
		return true, "", nil
	}
	return false, strings.Join(append(unproven, strings.Join(missing, " and ")), "; "), nil
}

// provenBy reports whether rollout r proves its release: it completed, and
// every tenant it selected reached the release (at least one did; tenants
// skipped by canMigrate were left as they were, by policy). When not, why
// says so.
func provenBy(ctx context.Context, store *control.Reader, r control.Rollout) (bool, string, error) {
	if r.Status != control.RolloutCompleted {
		why := fmt.Sprintf("rollout %d to %s is %s", r.ID, r.Release, r.Status)
		if r.Reason != "" {
			why += " (" + r.Reason + ")"
		}
		return false, why, nil
	}
	items, err := store.Items(ctx, r.ID)
	if err != nil {
		return false, "", err
	}
	done := 0
	for _, it := range items {
		switch it.State {
		case control.ItemDone:
			done++
		case control.ItemSkipped:
		default:
			return false, fmt.Sprintf("rollout %d to %s left tenant %s %s", r.ID, r.Release, it.Tenant, it.State), nil
		}
	}
	if done == 0 {
		return false, fmt.Sprintf("rollout %d to %s migrated no tenant", r.ID, r.Release), nil
	}
	return true, "", nil
}

// reached reports whether a database whose state is v has completed a
// migration to want or later.
func reached(v control.VersionState, want string) bool {
	return v.Status == control.StatusCompleted && atLeast(v.CurrentVersion, want)
}

// atLeast reports whether version have is want or later; "" is below
// every version and satisfies only an empty want.
func atLeast(have, want string) bool {
	if want == "" {
		return true
	}
	h, err1 := semver.NewVersion(have)
	w, err2 := semver.NewVersion(want)
	return err1 == nil && err2 == nil && !h.LessThan(w)
}
