// Command herd versions and migrates the schemas of a fleet of tenant
// databases. Run `herd --help` for the commands, `herd demo` for a tour.
package main
