package avp.actor;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AVP envelope (AES-256-GCM under the AAD of §4) and the X25519-HKDF-SHA256-AESGCM-v1 key wrap,
 * JDK only. Counters are range-checked before any encoding; an all-zero X25519 result is invalid_key.
 */
public final class Envelope {
  public static final String SCHEME_ID = "X25519-HKDF-SHA256-AESGCM-v1";
  static final byte[] WRAP_INFO = "avp/rdk-wrap/v1".getBytes(StandardCharsets.UTF_8);
  private static final BigInteger MAX_COUNTER = BigInteger.TWO.pow(53).subtract(BigInteger.ONE);
  private static final SecureRandom RANDOM = new SecureRandom();

  private Envelope() {}

  public static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** A payloadVersion / keyEpoch: an integer literal in [0, 2^53-1], else counter_out_of_range. */
  public static long counter(Object v, String name) {
    String text = v instanceof Json.Num n ? n.text() : v instanceof Long || v instanceof Integer ? v.toString() : null;
    if (text != null && text.matches("-?(0|[1-9][0-9]*)")) {
      BigInteger n = new BigInteger(text);
      if (n.signum() >= 0 && n.compareTo(MAX_COUNTER) <= 0) return n.longValueExact();
    }
    throw new ClientError("counter_out_of_range", name + " must be an integer in [0, 2^53-1]");
  }

  /** UTF8(repoId) ‖ 0x1F ‖ int64BE(payloadVersion) ‖ int64BE(keyEpoch). */
  public static byte[] aad(String repoId, Object payloadVersion, Object keyEpoch) {
    long pv = counter(payloadVersion, "payloadVersion");
    long ke = counter(keyEpoch, "keyEpoch");
    byte[] id = repoId.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(id.length + 17).put(id).put((byte) 0x1f).putLong(pv).putLong(ke).array();
  }

  private static Cipher gcm(int mode, byte[] key, byte[] iv, byte[] ad) {
    if (key.length != 32) throw new ClientError("invalid_key", "AES-256-GCM needs a 32-byte key");
    if (iv.length != 12) throw new ClientError("invalid_encoding", "the IV must be 12 bytes");
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
      c.updateAAD(ad);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] seal(byte[] key, byte[] iv, byte[] ad, byte[] plaintext) {
    try {
      return gcm(Cipher.ENCRYPT_MODE, key, iv, ad).doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] open(byte[] key, byte[] iv, byte[] ad, byte[] sealed) {
    Cipher c = gcm(Cipher.DECRYPT_MODE, key, iv, ad);
    if (sealed.length < 16) throw new ClientError("invalid_tag", "authentication failed");
    try {
      return c.doFinal(sealed);
    } catch (AEADBadTagException e) {
      throw new ClientError("invalid_tag", "authentication failed");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] encryptPayload(byte[] key, String repoId, long pv, long ke, byte[] plaintext, byte[] iv) {
    return seal(key, iv, aad(repoId, pv, ke), plaintext);
  }

  public static byte[] decryptPayload(byte[] key, String repoId, Object pv, Object ke, byte[] iv, byte[] ciphertext) {
    return open(key, iv, aad(repoId, pv, ke), ciphertext);
  }

  /** Raw X25519 of a private scalar and a peer's u-coordinate. */
  public static byte[] x25519(byte[] privateRaw, byte[] peer) {
    byte[] shared;
    try {
      KeyAgreement ka = KeyAgreement.getInstance("X25519");
      ka.init(Keys.privateKey(false, privateRaw));
      ka.doPhase(Keys.publicKey(false, peer), true);
      shared = ka.generateSecret();
    } catch (GeneralSecurityException e) {
      // The JDK refuses a small-order result itself; a malformed key fails the same way.
      throw new ClientError("invalid_key", "X25519 with a low-order or invalid public key");
    }
    boolean zero = true;
    for (byte b : shared) zero &= b == 0;
    if (zero) throw new ClientError("invalid_key", "X25519 shared secret is all zero");
    return shared;
  }

  public static byte[] hmacSha256(byte[] key, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.length == 0 ? new byte[32] : key, "HmacSHA256"));
      for (byte[] p : parts) mac.update(p);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** HKDF-Extract (RFC 5869 §2.2): an empty salt means HashLen zero bytes. */
  public static byte[] hkdfExtract(byte[] salt, byte[] ikm) {
    return hmacSha256(salt, ikm);
  }

  /** HKDF-Expand (RFC 5869 §2.3) with SHA-256, length ≤ 255·32. */
  public static byte[] hkdfExpand(byte[] prk, byte[] info, int length) {
    if (length < 0 || length > 255 * 32) throw new IllegalArgumentException("HKDF-SHA256 length out of range");
    byte[] out = new byte[length];
    byte[] t = new byte[0];
    for (int done = 0, k = 1; done < length; k++) {
      t = hmacSha256(prk, t, info, new byte[] {(byte) k});
      System.arraycopy(t, 0, out, done, Math.min(32, length - done));
      done += 32;
    }
    return out;
  }

  /** KEK = HKDF-SHA256(ikm = X25519 output, salt = ephemeral public key, info = scheme label). */
  public static byte[] deriveKek(byte[] shared, byte[] ephemeralPublic) {
    return hkdfExpand(hkdfExtract(ephemeralPublic, shared), WRAP_INFO, 32);
  }

  /** A wrapped data key as on the wire. */
  public record WrappedKey(String schemeId, String ephemeralPublicKey, String iv, String ciphertext) {
    public Map<String, Object> toJson() {
      return Json.of("schemeId", schemeId, "ephemeralPublicKey", ephemeralPublicKey, "iv", iv, "ciphertext", ciphertext);
    }

    /** The wire object, or null when it is not one. */
    public static WrappedKey of(Object v) {
      Map<String, Object> o = Json.obj(v);
      if (o == null) return null;
      WrappedKey w = new WrappedKey(Json.str(o, "schemeId"), Json.str(o, "ephemeralPublicKey"), Json.str(o, "iv"), Json.str(o, "ciphertext"));
      return w.ephemeralPublicKey == null || w.iv == null || w.ciphertext == null ? null : w;
    }
  }

  /** Wrap to a recipient; ephemeral and iv are fixed only by known-answer checks (null: random). */
  public static WrappedKey wrap(byte[] dataKey, byte[] recipientPublic, byte[] ephemeral, byte[] iv) {
    byte[] ephRaw = ephemeral == null ? random(32) : ephemeral;
    byte[] ephPublic = Keys.rawPublic(Keys.pair(false, ephRaw).getPublic());
    byte[] nonce = iv == null ? random(12) : iv;
    byte[] ct = seal(deriveKek(x25519(ephRaw, recipientPublic), ephPublic), nonce, WRAP_INFO, dataKey);
    return new WrappedKey(SCHEME_ID, B64.encodeStd(ephPublic), B64.encodeStd(nonce), B64.encodeStd(ct));
  }

  public static byte[] unwrap(WrappedKey w, byte[] recipientPrivate) {
    if (!SCHEME_ID.equals(w.schemeId())) throw new ClientError("unsupported_scheme", "unknown wrap scheme " + w.schemeId());
    byte[] eph;
    byte[] iv;
    byte[] ct;
    try {
      eph = B64.decodeStd(w.ephemeralPublicKey(), 32);
      iv = B64.decodeStd(w.iv(), 12);
      ct = B64.decodeStd(w.ciphertext());
    } catch (ClientError e) {
      throw new ClientError("invalid_encoding", "malformed wrapped key");
    }
    // A ciphertext that is not key + tag cannot authenticate: opaque, like any other tampering.
    if (ct.length != 48) throw new ClientError("invalid_tag", "authentication failed");
    return open(deriveKek(x25519(recipientPrivate, eph), eph), iv, WRAP_INFO, ct);
  }
}
