package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/herdhq/herd"
)

// actionView is the confirmation page's data.
type actionView struct {
	Rollout herd.Rollout
	Action  herd.RolloutAction
	// What says what the action will do, for the operator to confirm.
	What string
}

// actionWhat says what each action does, on the confirmation page.
var actionWhat = map[herd.RolloutAction]string{
	herd.PauseRollout:    "Runners stop claiming tenants; those in flight finish. Resume carries on.",
	herd.ResumeRollout:   "The rollout becomes runnable again. herd serve starts no runner: a runner (herd rollout work) must carry it on; the rollout's page says whether one holds a lease.",
	herd.AbortRollout:    "The rollout ends: no tenant is claimed again. Tenants already migrated stay migrated.",
	herd.RetryRollout:    "Its failed and rolled-back tenants become pending again and the rollout reopens.",
	herd.RollbackRollout: "Emergency rollback: the rollout is aborted, and every tenant it reached goes back to the version it had before it, by down migrations or its snapshot, one after the other in the background of herd serve; the rollout's page follows it. Writes made since a restored snapshot are lost.",
}

// rolloutAction reads the {id} and {action} of r's path; a bad one is
// answered 404.
func (c *console) rolloutAction(w http.ResponseWriter, r *http.Request, p principal) (int64, herd.RolloutAction, bool) {
	id, ok := c.rolloutID(w, r, p)
	if !ok {
		return 0, "", false
	}
	a := herd.RolloutAction(r.PathValue("action"))
	if !slices.Contains(herd.RolloutActions(), a) {
		c.fail(w, r, p, http.StatusNotFound, fmt.Sprintf("%q is not a rollout action (pause, resume, abort, retry, rollback)", a))
		return 0, "", false
	}
	return id, a, true
}

// confirm asks the operator to confirm an action.
func (c *console) confirm(w http.ResponseWriter, r *http.Request, p principal) {
	id, a, ok := c.rolloutAction(w, r, p)
	if !ok {
		return
	}
	rep, err := c.fleet.WatchRollout(r.Context(), id)
	if err != nil {
		c.readFailed(w, r, p, err)
		return
	}
	c.pages.render(w, r, http.StatusOK, "confirm", view{Title: fmt.Sprintf("%s rollout %d?", a, id), Who: p, Nav: "rollouts",
		Body: actionView{Rollout: rep.Rollout, Action: a, What: actionWhat[a]}})
}

// operatorPost serves h to an operator's POST that carries its session's
// form token and comes from this server's pages; anything else is
// refused 403 before h runs. A POST with a bearer token (no cookie, so
// no forgery) needs no form token.
func (c *console) operatorPost(h handler) http.Handler {
	return c.page(func(w http.ResponseWriter, r *http.Request, p principal) {
		switch {
		case !sameOrigin(r):
			c.fail(w, r, p, http.StatusForbidden, "a request from another site is refused (cross-site request forgery)")
		case p.role < Operator:
			c.fail(w, r, p, http.StatusForbidden, "this needs an operator token; "+p.name+" is a viewer")
		case p.session != nil && !p.session.checkCSRF(r.PostFormValue("csrf")):
			c.fail(w, r, p, http.StatusForbidden, "the form's token is missing or stale: reload the page and try again")
		case r.PostFormValue("confirm") != "yes":
			c.fail(w, r, p, http.StatusBadRequest, "the action was not confirmed (confirm=yes)")
		default:
			h(w, r, p)
		}
	})
}

// act does a confirmed action and shows the rollout; an emergency
// rollback starts in the background (see startRollback).
func (c *console) act(w http.ResponseWriter, r *http.Request, p principal) {
	id, a, ok := c.rolloutAction(w, r, p)
	if !ok {
		return
	}
	if a == herd.RollbackRollout {
		c.startRollback(w, r, p, id)
		return
	}
	// An action, once confirmed, runs to its end (and its audit entry)
	// even if the browser goes away.
	_, err := c.fleet.SteerRollout(context.WithoutCancel(r.Context()), p.name, id, a)
	c.log.Info("console: rollout action", "actor", p.name, "rollout", id, "action", string(a), "err", err)
	if err != nil {
		c.readFailed(w, r, p, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/rollouts/%d?done=%s", id, a), http.StatusSeeOther)
}
