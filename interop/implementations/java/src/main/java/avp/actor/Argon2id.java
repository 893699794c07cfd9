package avp.actor;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Argon2id (RFC 9106, version 0x13) and the BLAKE2b it is built on (RFC 7693): the JDK has neither.
 * Written for checking sealed-identity vectors (cheap parameters); nothing in the actor's protocol
 * path uses it.
 */
public final class Argon2id {
  private Argon2id() {}

  private static final long[] IV = {
    0x6a09e667f3bcc908L, 0xbb67ae8584caa73bL, 0x3c6ef372fe94f82bL, 0xa54ff53a5f1d36f1L,
    0x510e527fade682d1L, 0x9b05688c2b3e6c1fL, 0x1f83d9abfb41bd6bL, 0x5be0cd19137e2179L,
  };

  private static final int[][] SIGMA = {
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
  };

  private static void g(long[] v, int a, int b, int c, int d, long x, long y) {
    v[a] += v[b] + x;
    v[d] = Long.rotateRight(v[d] ^ v[a], 32);
    v[c] += v[d];
    v[b] = Long.rotateRight(v[b] ^ v[c], 24);
    v[a] += v[b] + y;
    v[d] = Long.rotateRight(v[d] ^ v[a], 16);
    v[c] += v[d];
    v[b] = Long.rotateRight(v[b] ^ v[c], 63);
  }

  /** Unkeyed BLAKE2b with an {@code outLen}-byte digest (1..64). */
  static byte[] blake2b(byte[] data, int outLen) {
    long[] h = IV.clone();
    h[0] ^= 0x01010000L ^ outLen;
    int blocks = Math.max(1, (data.length + 127) / 128);
    for (int b = 0; b < blocks; b++) {
      byte[] chunk = Arrays.copyOf(Arrays.copyOfRange(data, Math.min(b * 128, data.length), Math.min(b * 128 + 128, data.length)), 128);
      boolean last = b == blocks - 1;
      long counter = last ? data.length : (long) (b + 1) * 128;
      long[] m = new long[16];
      ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(m);
      long[] v = new long[16];
      System.arraycopy(h, 0, v, 0, 8);
      System.arraycopy(IV, 0, v, 8, 8);
      v[12] ^= counter;
      if (last) v[14] = ~v[14];
      for (int r = 0; r < 12; r++) {
        int[] s = SIGMA[r % 10];
        g(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
        g(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        g(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        g(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        g(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
        g(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        g(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        g(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
      }
      for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
    }
    ByteBuffer out = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    for (long x : h) out.putLong(x);
    return Arrays.copyOf(out.array(), outLen);
  }

  private static byte[] le32(int n) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(n).array();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  /** H': BLAKE2b stretched to {@code outLen} bytes (RFC 9106 §3.3). */
  static byte[] hPrime(int outLen, byte[] input) {
    byte[] x = concat(le32(outLen), input);
    if (outLen <= 64) return blake2b(x, outLen);
    int r = (outLen + 31) / 32 - 2;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] v = blake2b(x, 64);
    out.write(v, 0, 32);
    for (int i = 2; i <= r; i++) {
      v = blake2b(v, 64);
      out.write(v, 0, 32);
    }
    out.writeBytes(blake2b(v, outLen - 32 * r));
    return out.toByteArray();
  }

  private static long mix(long x, long y) {
    return x + y + 2 * (x & 0xffffffffL) * (y & 0xffffffffL);
  }

  /** Argon2's G on the 16 words of q at idx: BLAKE2b's with the multiplication-hardened additions. */
  private static void blamka(long[] q, int[] idx, int a, int b, int c, int d) {
    int ia = idx[a];
    int ib = idx[b];
    int ic = idx[c];
    int id = idx[d];
    q[ia] = mix(q[ia], q[ib]);
    q[id] = Long.rotateRight(q[id] ^ q[ia], 32);
    q[ic] = mix(q[ic], q[id]);
    q[ib] = Long.rotateRight(q[ib] ^ q[ic], 24);
    q[ia] = mix(q[ia], q[ib]);
    q[id] = Long.rotateRight(q[id] ^ q[ia], 16);
    q[ic] = mix(q[ic], q[id]);
    q[ib] = Long.rotateRight(q[ib] ^ q[ic], 63);
  }

  private static void permute(long[] q, int[] idx) {
    blamka(q, idx, 0, 4, 8, 12);
    blamka(q, idx, 1, 5, 9, 13);
    blamka(q, idx, 2, 6, 10, 14);
    blamka(q, idx, 3, 7, 11, 15);
    blamka(q, idx, 0, 5, 10, 15);
    blamka(q, idx, 1, 6, 11, 12);
    blamka(q, idx, 2, 7, 8, 13);
    blamka(q, idx, 3, 4, 9, 14);
  }

  private static final int[][] ROWS = new int[8][16];
  private static final int[][] COLS = new int[8][16];

  static {
    for (int i = 0; i < 8; i++) {
      for (int k = 0; k < 16; k++) {
        ROWS[i][k] = 16 * i + k;
        COLS[i][k] = 2 * i + (k & 1) + 16 * (k >> 1);
      }
    }
  }

  /** G(X, Y) = P(X ⊕ Y) ⊕ (X ⊕ Y), XORed into {@code out} when {@code xor} (passes after the first). */
  private static void compress(long[] x, long[] y, long[] out, boolean xor) {
    long[] r = new long[128];
    for (int i = 0; i < 128; i++) r[i] = x[i] ^ y[i];
    long[] q = r.clone();
    for (int[] row : ROWS) permute(q, row);
    for (int[] col : COLS) permute(q, col);
    for (int i = 0; i < 128; i++) out[i] = (xor ? out[i] : 0) ^ q[i] ^ r[i];
  }

  private static long[] block(byte[] b) {
    long[] out = new long[128];
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
    return out;
  }

  private static final int TYPE_ID = 2;
  private static final int VERSION = 0x13;
  private static final int SYNC_POINTS = 4;

  /** The tag; the caller bounds the parameters (memoryKib ≥ 8·parallelism, salt ≥ 8 bytes). */
  public static byte[] derive(byte[] password, byte[] salt, int memoryKib, int iterations, int lanes, int tagLength, byte[] secret, byte[] ad) {
    byte[] h0 = blake2b(concat(le32(lanes), le32(tagLength), le32(memoryKib), le32(iterations), le32(VERSION), le32(TYPE_ID),
        le32(password.length), password, le32(salt.length), salt, le32(secret.length), secret, le32(ad.length), ad), 64);
    int blocks = 4 * lanes * (memoryKib / (4 * lanes));
    int laneLength = blocks / lanes;
    int segment = laneLength / SYNC_POINTS;
    long[][] mem = new long[blocks][];
    for (int l = 0; l < lanes; l++) {
      mem[l * laneLength] = block(hPrime(1024, concat(h0, le32(0), le32(l))));
      mem[l * laneLength + 1] = block(hPrime(1024, concat(h0, le32(1), le32(l))));
    }
    for (int i = 0; i < blocks; i++) if (mem[i] == null) mem[i] = new long[128];
    long[] zero = new long[128];
    for (int pass = 0; pass < iterations; pass++) {
      for (int slice = 0; slice < SYNC_POINTS; slice++) {
        for (int lane = 0; lane < lanes; lane++) {
          // Argon2id: data-independent addresses in the first half of the first pass.
          boolean independent = pass == 0 && slice < SYNC_POINTS / 2;
          long[] input = new long[128];
          long[] address = new long[128];
          if (independent) {
            input[0] = pass;
            input[1] = lane;
            input[2] = slice;
            input[3] = blocks;
            input[4] = iterations;
            input[5] = TYPE_ID;
          }
          int start = 0;
          if (pass == 0 && slice == 0) {
            start = 2;
            if (independent) nextAddresses(zero, input, address);
          }
          for (int i = start; i < segment; i++) {
            int column = slice * segment + i;
            int cur = lane * laneLength + column;
            int prev = column == 0 ? lane * laneLength + laneLength - 1 : cur - 1;
            long rand;
            if (independent) {
              if (i % 128 == 0) nextAddresses(zero, input, address);
              rand = address[i % 128];
            } else {
              rand = mem[prev][0];
            }
            int refLane = pass == 0 && slice == 0 ? lane : (int) Long.remainderUnsigned(rand >>> 32, lanes);
            boolean same = refLane == lane;
            int area;
            if (pass == 0) {
              area = slice == 0 ? i - 1 : same ? slice * segment + i - 1 : slice * segment + (i == 0 ? -1 : 0);
            } else {
              area = same ? laneLength - segment + i - 1 : laneLength - segment + (i == 0 ? -1 : 0);
            }
            long j1 = rand & 0xffffffffL;
            long x = (j1 * j1) >>> 32;
            long rel = area - 1 - ((area * x) >>> 32);
            int startPos = pass == 0 || slice == SYNC_POINTS - 1 ? 0 : (slice + 1) * segment;
            int refIndex = (int) ((startPos + rel) % laneLength);
            compress(mem[prev], mem[refLane * laneLength + refIndex], mem[cur], pass > 0);
          }
        }
      }
    }
    long[] last = mem[laneLength - 1].clone();
    for (int l = 1; l < lanes; l++) for (int i = 0; i < 128; i++) last[i] ^= mem[l * laneLength + laneLength - 1][i];
    ByteBuffer out = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
    for (long w : last) out.putLong(w);
    return hPrime(tagLength, out.array());
  }

  private static void nextAddresses(long[] zero, long[] input, long[] address) {
    input[6]++;
    long[] tmp = new long[128];
    compress(zero, input, tmp, false);
    compress(zero, tmp, address, false);
  }
}
