package flyway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Known answers: the checksums Flyway's own tests expect of two of their
// migration files, testdata/V1__First.sql and testdata/V1.1__View.sql
// (copied unchanged, with their Apache-2.0 notice, from
// flyway-core/src/test/resources/migration/sql/ in github.com/flyway/flyway
// at commit ac266f42a5d365c1ffb4df0030b3281bb76508b8, September 2017,
// before Flyway 5.0): MigrationTestCase.upgradeMetadataTableTo40Format
// expects 454910647 of V1__First.sql, and FlywayMediumTest.info expects
// -133051733 of V1.1__View.sql, the current migration at target 1.1.
// Flyway's tests have not been public since; its ChecksumCalculator of
// today (read at commit c5e20fc77341d4117e7a291214e23f89c1371516) sums
// the same way, and drops a leading byte-order mark besides.
func TestChecksumOfFlywaysTestMigrations(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file string
		want int32
	}{
		{"V1__First.sql", 454910647},
		{"V1.1__View.sql", -133051733},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			require.NoError(t, err)
			script := string(data)
			require.NotContains(t, script, "\r", "the file as Flyway's repository has it, LF endings")
			require.Equal(t, tc.want, Checksum(script))
			// Flyway's checksum is line-ending and BOM independent: the
			// same file saved on Windows, or with a byte-order mark, is
			// the same migration.
			require.Equal(t, tc.want, Checksum(strings.ReplaceAll(script, "\n", "\r\n")), "CRLF")
			require.Equal(t, tc.want, Checksum(strings.ReplaceAll(script, "\n", "\r")), "CR")
			require.Equal(t, tc.want, Checksum(bom+script), "BOM")
			require.NotEqual(t, tc.want, Checksum(strings.Replace(script, "test_user", "test_users", 1)), "an edit")
		})
	}
}

// Checksum on short scripts. "123456789" is the check input of CRC-32
// catalogues, whose CRC is 0xCBF43926: Java's int is that value's low 32
// bits signed, -873187034.
func TestChecksum(t *testing.T) {
	t.Parallel()
	const check = -873187034
	for _, tc := range []struct {
		name, script string
		want         int32
	}{
		{"empty", "", 0},
		{"only line endings", "\n\r\n\r", 0},
		{"CRC-32 check value, signed", "123456789", check},
		{"line endings dropped", "123\n456\r\n789\r", check},
		{"empty lines add nothing", "\n\n123\n\n456\r\n\r\n789\n\n", check},
		{"leading byte-order mark dropped", bom + "123456789", check},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, Checksum(tc.script))
		})
	}
	for name, script := range map[string]string{
		"byte-order mark after the start kept": "1" + bom + "23456789",
		"a byte-order mark on the second line": "\n" + bom + "123456789",
		"trailing spaces count":                "123456789 ",
	} {
		require.NotEqual(t, int32(check), Checksum(script), name)
	}
}

// Flyway's SqlMigrationResolverSmallTest.calculateChecksum: the same
// lines, with LF or CRLF endings and a trailing line ending or not, have
// the same checksum.
func TestChecksumFlywaysLineEndingCase(t *testing.T) {
	t.Parallel()
	require.Equal(t, Checksum("abc\ndef efg\nxyz"), Checksum("abc\r\ndef efg\nxyz\r\n"))
}
