package avp.actor;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Signature;
import java.util.HexFormat;
import java.util.Set;

/**
 * Ed25519 with the project's strict policy: before the JCA verifies, refuse non-canonical encodings
 * of A and R, the 8 small-order points for A and R, and S ≥ L (plain big-integer arithmetic on the
 * encodings). The JCA alone is looser (see the stock counts in vectors/README.md).
 */
public final class Ed25519Strict {
  private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
  private static final BigInteger L = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));

  /** Canonical encodings of the points of order dividing 8 (non-canonical ones fail the canonicity check). */
  private static final Set<String> SMALL_ORDER = Set.of(
      "0100000000000000000000000000000000000000000000000000000000000000", // identity
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2
      "0000000000000000000000000000000000000000000000000000000000000000", // order 4
      "0000000000000000000000000000000000000000000000000000000000000080",
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
      "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
      "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85");

  private Ed25519Strict() {}

  static BigInteger littleEndian(byte[] b, int from, int to) {
    byte[] be = new byte[to - from];
    for (int k = 0; k < be.length; k++) be[k] = b[to - 1 - k];
    return new BigInteger(1, be);
  }

  /** y < p, and the sign bit is clear when x = 0 (y = ±1). */
  static boolean isCanonicalPoint(byte[] enc, int at) {
    byte[] copy = java.util.Arrays.copyOfRange(enc, at, at + 32);
    boolean signBit = (copy[31] & 0x80) != 0;
    copy[31] &= 0x7f;
    BigInteger y = littleEndian(copy, 0, 32);
    if (y.compareTo(P) >= 0) return false;
    return !(signBit && (y.equals(BigInteger.ONE) || y.equals(P.subtract(BigInteger.ONE))));
  }

  static boolean passesStrictPolicy(byte[] publicKey, byte[] signature) {
    if (publicKey.length != 32 || signature.length != 64) return false;
    HexFormat hex = HexFormat.of();
    if (!isCanonicalPoint(publicKey, 0) || SMALL_ORDER.contains(hex.formatHex(publicKey))) return false;
    if (!isCanonicalPoint(signature, 0) || SMALL_ORDER.contains(hex.formatHex(signature, 0, 32))) return false;
    return littleEndian(signature, 32, 64).compareTo(L) < 0;
  }

  /** The JCA's Ed25519 alone; any refusal (a key it cannot decode included) is false. */
  public static boolean stockVerify(byte[] publicKey, byte[] message, byte[] signature) {
    try {
      Signature v = Signature.getInstance("Ed25519");
      v.initVerify(Keys.publicKey(true, publicKey));
      v.update(message);
      return v.verify(signature);
    } catch (GeneralSecurityException | ClientError | IllegalArgumentException e) {
      return false;
    }
  }

  public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
    return passesStrictPolicy(publicKey, signature) && stockVerify(publicKey, message, signature);
  }

  public static byte[] sign(KeyPair key, byte[] message) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key.getPrivate());
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
