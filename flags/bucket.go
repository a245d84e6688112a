package flags

import (
	"encoding/binary"
	"math/bits"
)

// keyBuffer is the size of the stack buffer Bucket builds "FLAG:TENANT"
// in; a longer key (a flag name of more than 78 bytes with a 48-byte
// tenant code) costs one allocation.
const keyBuffer = 128

// Bucket returns the tenant's bucket for the flag, from 1 to 100: Unleash's
// gradual rollout bucket, MurmurHash3_x86_32 of "FLAG:TENANT" with seed 0,
// modulo 100, plus 1. See the package documentation.
func Bucket(flag, tenant string) int {
	var buf [keyBuffer]byte
	key := buf[:0]
	if n := len(flag) + 1 + len(tenant); n > len(buf) {
		key = make([]byte, 0, n)
	}
	key = append(key, flag...)
	key = append(key, ':')
	key = append(key, tenant...)
	return int(MurmurHash3(key, 0)%100) + 1
}

// MurmurHash3 returns Austin Appleby's MurmurHash3_x86_32 of data with the
// given seed, as the reference MurmurHash3.cpp of SMHasher computes it (on
// any machine: blocks are read little-endian). It is not a cryptographic
// hash.
func MurmurHash3(data []byte, seed uint32) uint32 {
	const (
		c1 = 0xcc9e2d51
		c2 = 0x1b873593
	)
	h := seed
	n := len(data)
	for ; len(data) >= 4; data = data[4:] {
		k := binary.LittleEndian.Uint32(data)
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
		h = bits.RotateLeft32(h, 13)
		h = h*5 + 0xe6546b64
	}
	var k uint32
	switch len(data) {
	case 3:
		k ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		k ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		k ^= uint32(data[0])
		k *= c1
		k = bits.RotateLeft32(k, 15)
		k *= c2
		h ^= k
	}
	// The reference mixes in the length as a 32-bit int.
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
