package schoolerp

import (
	"embed"
	"io/fs"
)

//go:embed herd.yaml migrations demo
var files embed.FS

// Files returns the example project as a read-only file system rooted at the
// project directory: herd.yaml, migrations/ and demo/. It never fails and is
// safe for concurrent use.
func Files() fs.FS { return files }
