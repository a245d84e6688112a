package flyway

import (
	"hash/crc32"
	"strings"
)

// bom is the byte-order mark Flyway drops from the start of a script.
const bom = "\uFEFF"

// lineEndings removes the characters that end a line.
var lineEndings = strings.NewReplacer("\r", "", "\n", "")

// Checksum returns the checksum Flyway records of a versioned SQL
// migration whose file holds script, as Flyway's ChecksumCalculator
// computes it (flyway-core, org.flywaydb.core.internal.resolver): the
// file is read line by line with a java.io.BufferedReader, which ends a
// line at "\n", "\r" or "\r\n" and drops the ending; a byte-order mark
// at the start of the first line is removed (BomFilter); the UTF-8 bytes
// of each line are added to a java.util.zip.CRC32, the IEEE polynomial;
// and the CRC's value is stored as a Java int, its low 32 bits signed.
// Line endings thus add nothing, and neither does an empty line: the
// checksum is the CRC-32 of the script without its line endings, which
// is why Flyway calls it encoding and line-ending independent.
//
// It is the checksum with Flyway's default settings: UTF-8 files, no
// referenced scripts (an Oracle-only setting). Flyway replaces no
// placeholder before summing a versioned migration, so neither does
// Checksum.
func Checksum(script string) int32 {
	text := lineEndings.Replace(strings.TrimPrefix(script, bom))
	return int32(crc32.ChecksumIEEE([]byte(text)))
}
