package main

// Argon2id (RFC 9106, version 0x13) and the BLAKE2b it is built on (RFC 7693): the standard
// library has neither. Written for checking sealed-identity vectors (cheap parameters); nothing in
// the actor's protocol path uses it.

import (
	"encoding/binary"
	"math/bits"
)

var blake2bIV = [8]uint64{
	0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
	0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
}

var blake2bSigma = [10][16]byte{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
	{11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
	{7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
	{9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
	{2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
	{12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
	{13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
	{6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
	{10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
}

// blake2b is unkeyed BLAKE2b with an outLen-byte digest (1..64).
func blake2b(data []byte, outLen int) []byte {
	h := blake2bIV
	h[0] ^= 0x01010000 ^ uint64(outLen)
	blocks := max(1, (len(data)+127)/128)
	for b := 0; b < blocks; b++ {
		var chunk [128]byte
		copy(chunk[:], data[b*128:min(b*128+128, len(data))])
		last := b == blocks-1
		counter := uint64(b+1) * 128
		if last {
			counter = uint64(len(data))
		}
		var m, v [16]uint64
		for i := range m {
			m[i] = binary.LittleEndian.Uint64(chunk[i*8:])
		}
		copy(v[:8], h[:])
		copy(v[8:], blake2bIV[:])
		v[12] ^= counter
		if last {
			v[14] = ^v[14]
		}
		g := func(a, b, c, d int, x, y uint64) {
			v[a] += v[b] + x
			v[d] = bits.RotateLeft64(v[d]^v[a], -32)
			v[c] += v[d]
			v[b] = bits.RotateLeft64(v[b]^v[c], -24)
			v[a] += v[b] + y
			v[d] = bits.RotateLeft64(v[d]^v[a], -16)
			v[c] += v[d]
			v[b] = bits.RotateLeft64(v[b]^v[c], -63)
		}
		for r := 0; r < 12; r++ {
			s := &blake2bSigma[r%10]
			g(0, 4, 8, 12, m[s[0]], m[s[1]])
			g(1, 5, 9, 13, m[s[2]], m[s[3]])
			g(2, 6, 10, 14, m[s[4]], m[s[5]])
			g(3, 7, 11, 15, m[s[6]], m[s[7]])
			g(0, 5, 10, 15, m[s[8]], m[s[9]])
			g(1, 6, 11, 12, m[s[10]], m[s[11]])
			g(2, 7, 8, 13, m[s[12]], m[s[13]])
			g(3, 4, 9, 14, m[s[14]], m[s[15]])
		}
		for i := 0; i < 8; i++ {
			h[i] ^= v[i] ^ v[i+8]
		}
	}
	out := make([]byte, 64)
	for i, x := range h {
		binary.LittleEndian.PutUint64(out[i*8:], x)
	}
	return out[:outLen]
}

func le32(n int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(n)) }

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// hPrime is BLAKE2b stretched to outLen bytes (RFC 9106 §3.3).
func hPrime(outLen int, input []byte) []byte {
	x := concat(le32(outLen), input)
	if outLen <= 64 {
		return blake2b(x, outLen)
	}
	r := (outLen+31)/32 - 2
	v := blake2b(x, 64)
	out := append([]byte{}, v[:32]...)
	for i := 2; i <= r; i++ {
		v = blake2b(v, 64)
		out = append(out, v[:32]...)
	}
	return append(out, blake2b(v, outLen-32*r)...)
}

type block [128]uint64

// blamka is Argon2's G: BLAKE2b's with a + b + 2·lo32(a)·lo32(b) for each addition.
func blamka(v []*uint64, a, b, c, d int) {
	mix := func(x, y uint64) uint64 { return x + y + 2*uint64(uint32(x))*uint64(uint32(y)) }
	*v[a] = mix(*v[a], *v[b])
	*v[d] = bits.RotateLeft64(*v[d]^*v[a], -32)
	*v[c] = mix(*v[c], *v[d])
	*v[b] = bits.RotateLeft64(*v[b]^*v[c], -24)
	*v[a] = mix(*v[a], *v[b])
	*v[d] = bits.RotateLeft64(*v[d]^*v[a], -16)
	*v[c] = mix(*v[c], *v[d])
	*v[b] = bits.RotateLeft64(*v[b]^*v[c], -63)
}

// permute is the permutation P on the 16 words of q at index(k), k = 0..15.
func permute(q *block, index func(k int) int) {
	v := make([]*uint64, 16)
	for k := range v {
		v[k] = &q[index(k)]
	}
	blamka(v, 0, 4, 8, 12)
	blamka(v, 1, 5, 9, 13)
	blamka(v, 2, 6, 10, 14)
	blamka(v, 3, 7, 11, 15)
	blamka(v, 0, 5, 10, 15)
	blamka(v, 1, 6, 11, 12)
	blamka(v, 2, 7, 8, 13)
	blamka(v, 3, 4, 9, 14)
}

// compress is G(X, Y) = P(X ⊕ Y) ⊕ (X ⊕ Y), XORed into out when xor (passes after the first).
func compress(x, y, out *block, xor bool) {
	var r block
	for i := range r {
		r[i] = x[i] ^ y[i]
	}
	q := r
	for row := 0; row < 8; row++ {
		permute(&q, func(k int) int { return 16*row + k })
	}
	for col := 0; col < 8; col++ {
		permute(&q, func(k int) int { return 2*col + k&1 + 16*(k>>1) })
	}
	for i := range out {
		if xor {
			out[i] ^= q[i] ^ r[i]
		} else {
			out[i] = q[i] ^ r[i]
		}
	}
}

func blockOf(b []byte) *block {
	var out block
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[i*8:])
	}
	return &out
}

type argon2Params struct {
	memoryKib, iterations, parallelism, tagLength int
	secret, associatedData                        []byte
}

const (
	argon2idType  = 2
	argon2Version = 0x13
	syncPoints    = 4
)

// argon2id derives a tag; the caller bounds the parameters (memoryKib ≥ 8·parallelism, salt ≥ 8 bytes).
func argon2id(password, salt []byte, p argon2Params) []byte {
	lanes := p.parallelism
	h0 := blake2b(concat(le32(lanes), le32(p.tagLength), le32(p.memoryKib), le32(p.iterations), le32(argon2Version),
		le32(argon2idType), le32(len(password)), password, le32(len(salt)), salt, le32(len(p.secret)), p.secret,
		le32(len(p.associatedData)), p.associatedData), 64)
	blocks := 4 * lanes * (p.memoryKib / (4 * lanes))
	laneLength := blocks / lanes
	segment := laneLength / syncPoints
	mem := make([]block, blocks)
	for l := 0; l < lanes; l++ {
		mem[l*laneLength] = *blockOf(hPrime(1024, concat(h0, le32(0), le32(l))))
		mem[l*laneLength+1] = *blockOf(hPrime(1024, concat(h0, le32(1), le32(l))))
	}
	var zero block
	for pass := 0; pass < p.iterations; pass++ {
		for slice := 0; slice < syncPoints; slice++ {
			for lane := 0; lane < lanes; lane++ {
				// Argon2id: data-independent addresses in the first half of the first pass.
				independent := pass == 0 && slice < syncPoints/2
				var input, address block
				nextAddresses := func() {
					input[6]++
					var tmp block
					compress(&zero, &input, &tmp, false)
					compress(&zero, &tmp, &address, false)
				}
				if independent {
					input[0], input[1], input[2] = uint64(pass), uint64(lane), uint64(slice)
					input[3], input[4], input[5] = uint64(blocks), uint64(p.iterations), argon2idType
				}
				start := 0
				if pass == 0 && slice == 0 {
					start = 2
					if independent {
						nextAddresses()
					}
				}
				for i := start; i < segment; i++ {
					column := slice*segment + i
					cur := lane*laneLength + column
					prev := cur - 1
					if column == 0 {
						prev = lane*laneLength + laneLength - 1
					}
					var rand uint64
					if independent {
						if i%128 == 0 {
							nextAddresses()
						}
						rand = address[i%128]
					} else {
						rand = mem[prev][0]
					}
					refLane := lane
					if pass > 0 || slice > 0 {
						refLane = int((rand >> 32) % uint64(lanes))
					}
					same := refLane == lane
					var area int
					switch {
					case pass == 0 && slice == 0:
						area = i - 1
					case pass == 0 && same:
						area = slice*segment + i - 1
					case pass == 0:
						area = slice * segment
						if i == 0 {
							area--
						}
					case same:
						area = laneLength - segment + i - 1
					default:
						area = laneLength - segment
						if i == 0 {
							area--
						}
					}
					j1 := rand & 0xffffffff
					x := (j1 * j1) >> 32
					rel := uint64(area) - 1 - ((uint64(area) * x) >> 32)
					startPos := 0
					if pass > 0 && slice != syncPoints-1 {
						startPos = (slice + 1) * segment
					}
					refIndex := int((uint64(startPos) + rel) % uint64(laneLength))
					compress(&mem[prev], &mem[refLane*laneLength+refIndex], &mem[cur], pass > 0)
				}
			}
		}
	}
	final := mem[laneLength-1]
	for l := 1; l < lanes; l++ {
		for i := range final {
			final[i] ^= mem[l*laneLength+laneLength-1][i]
		}
	}
	out := make([]byte, 1024)
	for i, w := range final {
		binary.LittleEndian.PutUint64(out[i*8:], w)
	}
	return hPrime(p.tagLength, out)
}
