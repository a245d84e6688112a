package config

// ParseEnv is Parse with the environment given as a map, so that tests are
// hermetic and may run in parallel.
func ParseEnv(data []byte, path string, env map[string]string) (*Config, error) {
	return parse(data, path, func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	})
}
