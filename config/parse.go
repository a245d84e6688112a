package config

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The tenancies a server may declare.
const (
	tenancyDatabase = "database"
	tenancySchema   = "schema"
)

// parser walks one herd.yaml's node tree, building a Config and collecting
// every problem on the way.
type parser struct {
	problems
	// dir is the folder relative paths resolve against; "" leaves them
	// relative to the current directory.
	dir    string
	lookup func(string) (string, bool)
}

// entry is one key and its value in a YAML mapping.
type entry struct {
	key, val *yaml.Node
}

// parse is Parse with the environment given as a lookup function.
func parse(data []byte, path string, lookup func(string) (string, bool)) (*Config, error) {
	p := &parser{problems: problems{file: path}, lookup: lookup}
	if path == "" {
		p.file = "herd.yaml"
	} else {
		p.dir = filepath.Dir(path)
	}

	root, ok := p.decode(data)
	if !ok {
		return nil, p.err()
	}
	cfg := &Config{Path: path}
	p.config(root, cfg)
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decode parses the YAML into its root node: a mapping, or an empty one
// for an empty document. It reports false after a syntax error, which makes
// the rest of the file meaningless.
func (p *parser) decode(data []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &yaml.Node{Kind: yaml.MappingNode, Line: 1}, true
		}
		p.syntax(data, err)
		return nil, false
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.add(extra.Line, "only one YAML document is allowed")
	case !errors.Is(err, io.EOF):
		p.syntax(data, err)
		return nil, false
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Line: 1}, true
	}
	root := deref(doc.Content[0])
	if isNull(root) {
		return &yaml.Node{Kind: yaml.MappingNode, Line: root.Line}, true
	}
	if root.Kind != yaml.MappingNode {
		p.add(root.Line, "want a mapping of keys (control, servers, …), got %s", kindName(root))
		return nil, false
	}
	return root, true
}

// config fills cfg from the root mapping.
func (p *parser) config(root *yaml.Node, cfg *Config) {
	top := p.fields(root, "", "control", "servers", "default_server", "tenant_database",
		"migrations", "allow_experimental", "releases", "lock_timeout", "lock_retries",
		"rollout", "large_tenants", "shadow", "health_probes", "maintenance_windows", "webhooks",
		"flags", "environments", "customisations", "on_conflict", "drift_fresh", "serve", "metrics")

	if e, ok := top["control"]; !ok {
		p.add(0, "control is required: the DSN of the control database, as in sqlite:./herd-data/control.db")
	} else if s, ok := p.str(e.val, "control"); ok {
		cfg.Control, _ = p.dsn(s, e.val, "control")
	}

	if _, ok := top["servers"]; !ok {
		p.add(0, "servers is required: at least one named server that holds tenant databases")
	}
	if _, ok := top["tenant_database"]; !ok {
		p.add(0, "tenant_database is required: the name template of a tenant's database, as in tenant_{code}")
	}
	cfg.Servers, cfg.DefaultServer, cfg.TenantDatabase = p.tenantHome(top, "")

	if e, ok := top["migrations"]; !ok {
		p.add(0, "migrations is required: the migrations folder, as in ./migrations")
	} else if s, ok := p.str(e.val, "migrations"); ok {
		if s == "" {
			p.add(e.val.Line, "migrations: must not be empty")
		} else {
			cfg.Migrations = resolvePath(s, p.dir)
		}
	}

	if e, ok := top["allow_experimental"]; ok {
		cfg.AllowExperimental = p.boolean(e.val, "allow_experimental")
	}

	if e, ok := top["releases"]; ok {
		cfg.Releases = p.releases(e.val)
	}

	cfg.LockTimeout, cfg.LockRetries = DefaultLockTimeout, DefaultLockRetries
	if e, ok := top["lock_timeout"]; ok {
		if d, ok := p.duration(e.val, "lock_timeout", time.Millisecond); ok {
			cfg.LockTimeout = d
		}
	}
	if e, ok := top["lock_retries"]; ok {
		if n, ok := p.whole(e.val, "lock_retries", 0); ok {
			cfg.LockRetries = n
		}
	}

	cfg.Rollout = DefaultRollout()
	if e, ok := top["rollout"]; ok {
		cfg.Rollout = p.rollout(e.val)
	}
	cfg.LargeTenants = DefaultLargeTenants()
	if e, ok := top["large_tenants"]; ok {
		cfg.LargeTenants = p.largeTenants(e)
	}
	p.checkSizeWaves(cfg)
	cfg.Shadow = DefaultShadow()
	if e, ok := top["shadow"]; ok {
		cfg.Shadow = p.shadow(e.val)
	}
	if e, ok := top["customisations"]; ok {
		cfg.Customisations = p.customisations(e.val)
	}
	cfg.OnConflict = ConflictRefuse
	if e, ok := top["on_conflict"]; ok {
		cfg.OnConflict = p.onConflict(e.val)
	}
	if e, ok := top["drift_fresh"]; ok {
		if d, ok := p.duration(e.val, "drift_fresh", 0); ok {
			cfg.DriftFresh = d
		}
	}
	if e, ok := top["health_probes"]; ok {
		cfg.Probes = p.probes(e.val)
	}
	if e, ok := top["maintenance_windows"]; ok {
		cfg.Windows = p.maintenance(e.val)
	}
	if e, ok := top["webhooks"]; ok {
		cfg.Webhooks = p.webhooks(e.val)
	}
	if e, ok := top["flags"]; ok {
		cfg.Flags = p.flags(e.val)
	}
	if e, ok := top["serve"]; ok {
		cfg.Serve = p.serve(e.val)
	}
	if e, ok := top["environments"]; ok {
		cfg.Environments = p.environments(e.val)
	}
	if e, ok := top["metrics"]; ok {
		cfg.Metrics = p.metrics(e.val)
	}
}

// dsn expands, checks and resolves one DSN at node n, and returns it with
// its engine ("" when it is not valid).
func (p *parser) dsn(raw string, n *yaml.Node, where string) (string, string) {
	if raw == "" {
		p.add(n.Line, "%s: dsn must not be empty", where)
		return "", ""
	}
	dsn, msgs := expandEnv(raw, p.lookup)
	for _, m := range msgs {
		p.add(n.Line, "%s: %s", where, m)
	}
	if len(msgs) > 0 {
		return "", ""
	}
	if m := checkDSN(dsn); m != "" {
		p.add(n.Line, "%s: %s", where, m)
		return "", ""
	}
	engine := Engine(dsn)
	if engine == engineSQLite {
		dsn = resolveSQLite(dsn, p.dir)
	}
	return dsn, engine
}

// tenantHome reads where tenants live from the fields of a mapping (the
// top level, or an environment whose keys start with prefix): servers,
// default_server and tenant_database, each left empty when absent.
func (p *parser) tenantHome(fields map[string]entry, prefix string) (servers []Server, defaultServer, template string) {
	serversLine := 0
	if e, ok := fields["servers"]; ok {
		serversLine = e.key.Line
		servers = p.servers(e, prefix+"servers")
	}
	if _, ok := fields["servers"]; ok || prefix == "" {
		defaultServer = p.defaultServer(fields, servers, serversLine, prefix)
	} else if e, ok := fields["default_server"]; ok {
		p.add(e.key.Line, "%sdefault_server: needs servers beside it", prefix)
	}
	if e, ok := fields["tenant_database"]; ok {
		if s, ok := p.str(e.val, prefix+"tenant_database"); ok {
			p.template(s, e.val, prefix+"tenant_database")
			template = s
		}
	}
	return servers, defaultServer, template
}

// servers reads a servers mapping, in file order; where names it in
// messages.
func (p *parser) servers(e entry, where string) []Server {
	section := where
	n := deref(e.val)
	if isNull(n) {
		p.add(e.key.Line, "%s: at least one server is required", section)
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s: want a mapping of server names to DSNs, got %s", section, kindName(n))
		return nil
	}
	var out []Server
	for _, se := range p.entries(n, section) {
		name := se.key.Value
		where := section + "." + name
		if !validName(name, "-") {
			p.add(se.key.Line, "%s: server name %q: use only a-z, 0-9, _ and -", section, name)
		}
		s := Server{Name: name, Tenancy: tenancyDatabase, Line: se.key.Line}
		dsnNode := deref(se.val)
		var tenancyNode *yaml.Node
		switch dsnNode.Kind {
		case yaml.ScalarNode:
		case yaml.MappingNode:
			f := p.fields(dsnNode, where, "dsn", "tenancy", "throttle")
			if t, ok := f["tenancy"]; ok {
				tenancyNode = t.val
			}
			if t, ok := f["throttle"]; ok {
				s.Throttle = p.throttle(t, where+".throttle")
			}
			d, ok := f["dsn"]
			if !ok {
				p.add(dsnNode.Line, "%s: dsn is required", where)
				dsnNode = nil
				break
			}
			dsnNode = d.val
		default:
			p.add(dsnNode.Line, "%s: want a DSN or a mapping with dsn, tenancy and throttle, got %s", where, kindName(dsnNode))
			dsnNode = nil
		}
		engine := ""
		if dsnNode != nil {
			if raw, ok := p.str(dsnNode, where); ok {
				s.DSN, engine = p.dsn(raw, dsnNode, where)
			}
		}
		if tenancyNode != nil {
			if t, ok := p.str(tenancyNode, where+".tenancy"); ok && t != "" {
				switch {
				case t != tenancyDatabase && t != tenancySchema:
					p.add(tenancyNode.Line, "%s: tenancy must be database or schema, got %q", where, t)
				case t == tenancySchema && engine != "" && engine != enginePostgres:
					p.add(tenancyNode.Line, "%s: tenancy schema needs a postgres:// dsn, not %s", where, engine)
				default:
					s.Tenancy = t
				}
			}
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		p.add(e.key.Line, "%s: at least one server is required", section)
	}
	return out
}

// defaultServer resolves the default_server of fields (keys starting with
// prefix) against the servers read, and returns its name.
func (p *parser) defaultServer(fields map[string]entry, servers []Server, serversLine int, prefix string) string {
	names := make([]string, len(servers))
	for i, s := range servers {
		names[i] = s.Name
	}
	name := ""
	e, declared := fields["default_server"]
	if declared {
		s, ok := p.str(e.val, prefix+"default_server")
		if !ok {
			return ""
		}
		name = s
	}
	switch {
	case name != "":
		for _, n := range names {
			if n == name {
				return name
			}
		}
		if len(names) > 0 {
			p.add(e.val.Line, "%sdefault_server: unknown server %q (known: %s)", prefix, name, strings.Join(names, ", "))
		}
	case len(names) == 1:
		return names[0]
	case len(names) > 1:
		line := serversLine
		if declared {
			line = e.val.Line
		}
		p.add(line, "%sdefault_server is required when there are several servers (%s)", prefix, strings.Join(names, ", "))
	}
	return ""
}

// template checks the tenant_database template at n; where names it in
// messages.
func (p *parser) template(s string, n *yaml.Node, where string) {
	if c := strings.Count(s, "{code}"); c != 1 {
		p.add(n.Line, "%s: %q must contain {code} exactly once, not %d times", where, s, c)
	}
	if !validName(strings.ReplaceAll(s, "{code}", ""), "") {
		p.add(n.Line, "%s: %q: use only a-z, 0-9 and _ besides {code}", where, s)
	}
}
