package config

import (
	"fmt"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// Environment is one environment of the environments section, such as
// development, staging or production: a control database of its own, and
// where a release must have completed before it. Commands use it when
// given --env NAME; without it, the top-level control serves.
type Environment struct {
	// Name is the environment's key under environments: a-z, 0-9, _ and
	// -.
	Name string
	// Control is the DSN of the environment's control (and system)
	// database, expanded and resolved like Config.Control. It may hold a
	// password: show it through RedactDSN.
	Control string
	// AllowExperimental allows pre-release versions and experimental
	// releases in this environment. It defaults to false and does not
	// inherit the top-level allow_experimental, so that an environment
	// says for itself whether it takes experiments.
	AllowExperimental bool
	// After is the Name of the environment a release must have completed
	// in before it is used in this one, or "" when there is none. Parse
	// checks that it names another declared environment and that the
	// After links form no cycle.
	After string
	// Servers, DefaultServer and TenantDatabase say where this
	// environment's tenants live, in place of the top-level ones; each is
	// empty when the environment inherits the top level's. Environments
	// that share servers and tenant_database share tenant databases too:
	// herd refuses to write to a tenant database another environment's
	// fleet owns (see SharedTenantHomes).
	Servers        []Server
	DefaultServer  string
	TenantDatabase string
	// Line is the line of the environment's name in the file.
	Line int
}

// Environment returns the declared environment called name, and whether
// there is one.
func (c *Config) Environment(name string) (Environment, bool) {
	for _, e := range c.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// InEnvironment returns the configuration as environment name sees it:
// its control database and its allow_experimental in place of the
// top-level ones, and Env set to name. The receiver is not changed. An
// unknown name is an error that lists the declared environments.
func (c *Config) InEnvironment(name string) (*Config, error) {
	e, ok := c.Environment(name)
	if !ok {
		if len(c.Environments) == 0 {
			return nil, fmt.Errorf("--env %s: %s declares no environments", name, c.name())
		}
		names := make([]string, len(c.Environments))
		for i, e := range c.Environments {
			names[i] = e.Name
		}
		return nil, fmt.Errorf("--env %s: %s declares no such environment (declared: %s)", name, c.name(), strings.Join(names, ", "))
	}
	view := *c
	view.Control, view.AllowExperimental, view.Env = e.Control, e.AllowExperimental, e.Name
	if len(e.Servers) > 0 {
		view.Servers, view.DefaultServer = e.Servers, e.DefaultServer
	}
	if e.TenantDatabase != "" {
		view.TenantDatabase = e.TenantDatabase
	}
	return &view, nil
}

// name is the file the configuration came from, for messages.
func (c *Config) name() string {
	if c.Path == "" {
		return "herd.yaml"
	}
	return c.Path
}

// environments reads the environments section, a mapping of environment
// names to environments, in file order, and checks their after links.
func (p *parser) environments(n *yaml.Node) []Environment {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "environments: want a mapping of environment names to environments, got %s", kindName(n))
		return nil
	}
	var out []Environment
	after := map[string]*yaml.Node{} // by environment Name: its after node
	for _, e := range p.entries(n, "environments") {
		env, a := p.environment(e)
		if a != nil {
			after[env.Name] = a
		}
		out = append(out, env)
	}
	p.checkAfter(out, after)
	return out
}

// environment reads one environment. It also returns the after node, for
// checking once all environments are known, or nil when there is none.
func (p *parser) environment(e entry) (Environment, *yaml.Node) {
	env := Environment{Name: e.key.Value, Line: e.key.Line}
	where := "environments." + env.Name
	if !validName(env.Name, "-") {
		p.add(e.key.Line, "environments: environment name %q: use only a-z, 0-9, _ and -", env.Name)
	}
	const needControl = "%s: control is required: the DSN of the environment's control database, as in sqlite:./herd-data/staging.db"
	n := deref(e.val)
	if isNull(n) {
		p.add(e.key.Line, needControl, where)
		return env, nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s: want a mapping with control, allow_experimental, after, servers, default_server and tenant_database, got %s", where, kindName(n))
		return env, nil
	}
	f := p.fields(n, where, "control", "allow_experimental", "after", "servers", "default_server", "tenant_database")
	env.Servers, env.DefaultServer, env.TenantDatabase = p.tenantHome(f, where+".")

	if fe, ok := f["control"]; !ok {
		p.add(e.key.Line, needControl, where)
	} else if s, ok := p.str(fe.val, where+".control"); ok {
		env.Control, _ = p.dsn(s, fe.val, where+".control")
	}
	if fe, ok := f["allow_experimental"]; ok {
		env.AllowExperimental = p.boolean(fe.val, where+".allow_experimental")
	}
	var after *yaml.Node
	if fe, ok := f["after"]; ok {
		if s, ok := p.str(fe.val, where+".after"); ok && s != "" {
			env.After, after = s, fe.val
		}
	}
	return env, after
}

// checkAfter checks each environment's after (its node by Name in nodes):
// it must name another declared environment, and following after from any
// environment must end rather than come back. An after that is not valid
// is cleared, so that each cycle is reported once, at its first member in
// the file.
func (p *parser) checkAfter(envs []Environment, nodes map[string]*yaml.Node) {
	index := make(map[string]int, len(envs))
	names := make([]string, len(envs))
	for i, e := range envs {
		index[e.Name] = i
		names[i] = e.Name
	}
	for i := range envs {
		e := &envs[i]
		if e.After == "" {
			continue
		}
		where := "environments." + e.Name
		switch _, ok := index[e.After]; {
		case e.After == e.Name:
			p.add(nodes[e.Name].Line, "%s: after must name another environment, not %s itself", where, e.Name)
			e.After = ""
		case !ok:
			p.add(nodes[e.Name].Line, "%s: after: unknown environment %q (known: %s)", where, e.After, strings.Join(names, ", "))
			e.After = ""
		}
	}
	for i := range envs {
		// Follow after from envs[i]; coming back to it is a cycle. A walk
		// that meets a cycle not through envs[i] stops there: that cycle is
		// reported from its own first member.
		path := []string{envs[i].Name}
		seen := map[int]bool{i: true}
		for j := i; envs[j].After != ""; {
			j = index[envs[j].After]
			path = append(path, envs[j].Name)
			if j == i {
				p.add(nodes[envs[i].Name].Line, "environments.%s: after forms a cycle: %s", envs[i].Name, strings.Join(path, " → "))
				for _, name := range path {
					envs[index[name]].After = ""
				}
				break
			}
			if seen[j] {
				break
			}
			seen[j] = true
		}
	}
}

// SharedTenantHomes returns a warning for each pair of views of the file
// (the top level and each environment) with different control databases
// whose tenants would live in the same databases: a server of each on the same database server, with the
// same tenant_database template. Such environments can each register a
// tenant of the same code, and then the same database: herd fences every
// tenant database with the fleet that owns it, but environments that are
// meant to be apart should not share one.
func (c *Config) SharedTenantHomes() []string {
	views := []*Config{c}
	for _, e := range c.Environments {
		if v, err := c.InEnvironment(e.Name); err == nil {
			views = append(views, v)
		}
	}
	seen := map[string]string{} // home key: the first view's label
	var warnings []string
	fleets := map[string]bool{} // the control databases seen
	for _, v := range views {
		if fleets[v.Control] {
			continue // the same control database is the same fleet
		}
		fleets[v.Control] = true
		label := "the top level"
		if v.Env != "" {
			label = "environment " + v.Env
		}
		warned := map[string]bool{}
		for _, s := range v.Servers {
			key := serverHome(s) + " " + v.TenantDatabase
			first, ok := seen[key]
			switch {
			case !ok:
				seen[key] = label
			case first != label && !warned[first]:
				warned[first] = true
				warnings = append(warnings, fmt.Sprintf("%s and %s name the same tenant databases (%s on %s): they share a tenant of the same code; give one its own servers or tenant_database",
					first, label, v.TenantDatabase, RedactDSN(serverHome(s))))
			}
		}
	}
	return warnings
}

// serverHome is where a server's tenant databases live, without
// credentials or options: the folder of a SQLite server, the host and port
// of a database-per-tenant server, and those with the database of a
// schema-per-tenant one.
func serverHome(s Server) string {
	if path, ok := SQLitePath(s.DSN); ok {
		return "sqlite:" + path
	}
	u, err := url.Parse(s.DSN)
	if err != nil {
		return s.DSN
	}
	home := u.Scheme + "://" + u.Host
	if s.Tenancy == tenancySchema {
		home += u.Path
	}
	return home
}
