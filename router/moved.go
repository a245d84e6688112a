package router

import (
	"strings"

	"github.com/herdhq/herd/dialect"
)

// Moved reports whether err is the error a tenant's old database returns
// to a write once a shadow migration has switched the tenant away from it
// (herd seals the old database as the switch ends the write freeze; see
// dialect.SealedMessage). The write did not happen: resolve the tenant
// again (after the router's next refresh it names the new database) and
// send it there. Writes that waited for the freeze when the tenant
// switched fail so too.
func Moved(err error) bool {
	return err != nil && strings.Contains(err.Error(), dialect.SealedMessage)
}
