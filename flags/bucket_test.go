package flags_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herdhq/herd/flags"
)

// TestMurmurHash3Vectors checks MurmurHash3 against published vectors of
// MurmurHash3_x86_32. None of the expected values comes from this
// package's own output. Sources:
//   - SO: Ian Boyd's answer to the Stack Overflow question "MurmurHash3
//     Test Vectors", derived from SMHasher's test code (byte vectors that
//     probe unsigned seeds, endianness and each tail length);
//   - git: git's t/t0095-bloom.sh, "compute unseeded murmur3 hash";
//   - spaolacci: github.com/spaolacci/murmur3, murmur_test.go.
func TestMurmurHash3Vectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		source string
		data   string
		seed   uint32
		want   uint32
	}{
		{"SO", "", 0, 0},
		{"SO", "", 1, 0x514E28B7},
		{"SO", "", 0xffffffff, 0x81F16F39},
		{"SO", "\xff\xff\xff\xff", 0, 0x76293B50},
		{"SO", "\x21\x43\x65\x87", 0, 0xF55B516B},
		{"SO", "\x21\x43\x65\x87", 0x5082EDEE, 0x2362F9DE},
		{"SO", "\x21\x43\x65", 0, 0x7E4A8634},
		{"SO", "\x21\x43", 0, 0xA0F7B07A},
		{"SO", "\x21", 0, 0x72661CF4},
		{"SO", "\x00\x00\x00\x00", 0, 0x2362F9DE},
		{"SO", "\x00\x00\x00", 0, 0x85F0B427},
		{"SO", "\x00\x00", 0, 0x30F4C306},
		{"SO", "\x00", 0, 0x514E28B7},
		{"SO", "aaaa", 0x9747b28c, 0x5A97808A},
		{"SO", "Hello, world!", 0x9747b28c, 0x24884CBA},
		{"SO", "The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2FA826CD},
		{"git", "", 0, 0x00000000},
		{"git", "Hello world!", 0, 0x627b0c2c},
		{"git", "The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723},
		{"spaolacci", "hello", 0, 0x248bfa47},
		{"spaolacci", "hello, world", 0, 0x149bbb7f},
		{"spaolacci", "19 Jan 2038 at 3:14:07 AM", 0, 0xe31e8a70},
		{"spaolacci", "The quick brown fox jumps over the lazy dog.", 0, 0xd5c48bfc},
		{"spaolacci", "hello", 0x01, 0xbb4abcad},
		{"spaolacci", "The quick brown fox jumps over the lazy dog.", 0x01, 0x846f6a36},
		{"spaolacci", "", 0x2a, 0x087fcd5c},
		{"spaolacci", "hello, world", 0x2a, 0x7ec7c6c2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%q/%#x", tt.source, tt.data, tt.seed), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, fmt.Sprintf("%#08x", tt.want), fmt.Sprintf("%#08x", flags.MurmurHash3([]byte(tt.data), tt.seed)))
		})
	}
}

// TestMurmurHash3SMHasherVerification runs SMHasher's VerificationTest:
// hash the keys {}, {0}, {0,1} … {0,…,254}, the key of length i with seed
// 256-i, concatenate the 4-byte little-endian hashes and hash that with
// seed 0. SMHasher lists 0xB0F57EE3 as the result for MurmurHash3_x86_32
// ("Murmur3A"); it exercises every tail length and many block counts.
func TestMurmurHash3SMHasherVerification(t *testing.T) {
	t.Parallel()
	key := make([]byte, 256)
	hashes := make([]byte, 0, 4*256)
	for i := range 256 {
		key[i] = byte(i)
		hashes = binary.LittleEndian.AppendUint32(hashes, flags.MurmurHash3(key[:i], uint32(256-i)))
	}
	require.Equal(t, uint32(0xB0F57EE3), flags.MurmurHash3(hashes, 0))
}

// TestBucketVectors checks buckets computed independently of this package.
//
// The first two are Unleash's own cross-client vectors: its Node, Java
// and Go clients all test normalizedValue("123", "gr1") == 73 and
// normalizedValue("999", "groupX") == 25, that is, for group id (our flag)
// and id (our tenant). The others were computed by a throwaway Python
// script that implements MurmurHash3_x86_32 from the reference
// MurmurHash3.cpp (checked first against the published vectors above,
// SMHasher's verification value and Unleash's two vectors) and takes
// murmur3(f"{flag}:{tenant}".encode(), 0) % 100 + 1. The keys cover every
// length modulo 4, buckets 1 and 100, and keys longer than Bucket's stack
// buffer.
func TestBucketVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		flag, tenant string
		want         int
	}{
		{"gr1", "123", 73},    // Unleash
		{"groupX", "999", 25}, // Unleash
		{"enhanced_fee_system", "demo_trust", 15},
		{"enhanced_fee_system", "test_trust", 14},
		{"enhanced_fee_system", "st_marys", 80},
		{"enhanced_fee_system", "sunrise", 11},
		{"enhanced_fee_system", "hillcrest", 100},
		{"advanced_reporting", "holy_cross", 25},
		{"advanced_reporting", "abc", 23},
		{"custom_fields", "t1", 20},
		{"custom_fields", "t2", 84},
		{"custom_fields", "t3", 92},
		{"basic_erp", "school_0001", 1},
		{"basic_erp", "school_0002", 52},
		{"release.v2-ui", "green_valley", 69},
		{"a", "x", 90},
		{"new_invoice_pdf", strings.Repeat("a", 48), 9},
		{strings.Repeat("f", 77), strings.Repeat("c", 50), 67},          // 128 bytes: fits the buffer
		{strings.Repeat("f", 77), strings.Repeat("c", 51), 61},          // 129 bytes: does not
		{strings.Repeat("long_flag_", 10), strings.Repeat("b", 48), 21}, // 149 bytes
		{strings.Repeat("long_flag_", 12), "tenant_x", 4},               // 129 bytes
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, flags.Bucket(tt.flag, tt.tenant), "%s:%s", tt.flag, tt.tenant)
		require.Equal(t, tt.want, int(flags.MurmurHash3([]byte(tt.flag+":"+tt.tenant), 0)%100)+1,
			"Bucket is MurmurHash3 of FLAG:TENANT")
	}
}

func TestBucketDoesNotAllocate(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		flags.Bucket("enhanced_fee_system", "a_tenant_code_of_the_longest_length_allowed_48ch")
	})
	require.Zero(t, allocs)
}

// tenantCodes returns n distinct tenant codes, shaped like real ones.
func tenantCodes(n int) []string {
	codes := make([]string, n)
	for i := range codes {
		codes[i] = fmt.Sprintf("trust_%05d", i)
	}
	return codes
}

// TestBucketDistribution checks that a percentage enables about that share
// of 10,000 tenants: within 1.5 points, for several flags (each hashes its
// own name) and percentages.
func TestBucketDistribution(t *testing.T) {
	t.Parallel()
	codes := tenantCodes(10_000)
	for _, flag := range []string{"enhanced_fee_system", "advanced_reporting", "custom_fields", "x"} {
		counts := make([]int, 101) // tenants per bucket
		for _, c := range codes {
			b := flags.Bucket(flag, c)
			require.True(t, b >= 1 && b <= 100, "bucket %d", b)
			counts[b]++
		}
		for _, pct := range []int{1, 10, 25, 50, 75, 90} {
			on := 0
			for b := 1; b <= pct; b++ {
				on += counts[b]
			}
			share := float64(on) * 100 / float64(len(codes))
			require.InDelta(t, float64(pct), share, 1.5, "flag %s at %d%% enables %.2f%%", flag, pct, share)
		}
	}
}

func BenchmarkBucket(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		flags.Bucket("enhanced_fee_system", "st_marys")
	}
}
