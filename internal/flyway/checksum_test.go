package flyway

import (
	"testing"

	"github.com/stretchr/testify/require"
)

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
