package avp.actor;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * Raw 32-byte Ed25519 / X25519 keys and JCA keys. Encodings go through fixed DER prefixes (PKCS#8
 * and SubjectPublicKeyInfo of RFC 8410). The JCA has no "public key of this private key" call; its key
 * pair generators draw exactly the 32 private bytes from the SecureRandom they are given, so a
 * generator fed the known private bytes derives the public key (checked against RFC 8032 and RFC
 * 7748 by the vectors).
 */
public final class Keys {
  private static final byte[] ED_PKCS8 = hex("302e020100300506032b657004220420");
  private static final byte[] X_PKCS8 = hex("302e020100300506032b656e04220420");
  private static final byte[] ED_SPKI = hex("302a300506032b6570032100");
  private static final byte[] X_SPKI = hex("302a300506032b656e032100");

  private Keys() {}

  public static byte[] hex(String s) {
    return java.util.HexFormat.of().parseHex(s);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static String algorithm(boolean ed) {
    return ed ? "Ed25519" : "X25519";
  }

  public static PrivateKey privateKey(boolean ed, byte[] raw) {
    return (PrivateKey) decode(ed, raw, true);
  }

  /** A public key from its raw encoding; invalid_key when the JCA refuses it. */
  public static PublicKey publicKey(boolean ed, byte[] raw) {
    return (PublicKey) decode(ed, raw, false);
  }

  private static java.security.Key decode(boolean ed, byte[] raw, boolean isPrivate) {
    String what = algorithm(ed) + (isPrivate ? " private" : " public");
    if (raw.length != 32) throw new ClientError("invalid_key", what + " key must be 32 bytes");
    try {
      KeyFactory f = KeyFactory.getInstance(algorithm(ed));
      if (isPrivate) return f.generatePrivate(new PKCS8EncodedKeySpec(concat(ed ? ED_PKCS8 : X_PKCS8, raw)));
      return f.generatePublic(new X509EncodedKeySpec(concat(ed ? ED_SPKI : X_SPKI, raw)));
    } catch (GeneralSecurityException e) {
      throw new ClientError("invalid_key", what + " key refused: " + e.getMessage());
    }
  }

  public static byte[] rawPublic(PublicKey key) {
    byte[] der = key.getEncoded();
    return Arrays.copyOfRange(der, der.length - 32, der.length);
  }

  /** The key pair whose private half is exactly {@code raw} (random when null). */
  public static KeyPair pair(boolean ed, byte[] raw) {
    if (raw != null && raw.length != 32) throw new ClientError("invalid_key", algorithm(ed) + " private key must be 32 bytes");
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm(ed));
      g.initialize(new NamedParameterSpec(algorithm(ed)), raw == null ? new SecureRandom() : new FixedBytes(raw));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new ClientError("invalid_key", e.getMessage());
    }
  }

  /** Hands out the given bytes once; any further draw is a programming error. */
  private static final class FixedBytes extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private byte[] left;

    FixedBytes(byte[] bytes) {
      left = bytes.clone();
    }

    @Override
    public void nextBytes(byte[] out) {
      if (left == null || out.length != left.length) throw new IllegalStateException("unexpected draw of " + out.length + " bytes");
      System.arraycopy(left, 0, out, 0, out.length);
      left = null;
    }
  }
}
