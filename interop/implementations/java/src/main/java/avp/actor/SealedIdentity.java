package avp.actor;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.List;
import java.util.Map;

/**
 * Sealed identities (avp-identity v1): a slot's key is Argon2id ({@link Argon2id}) of the passphrase
 * (NFC, UTF-8) or of the recovery code (32 base32 characters; case, '-' and whitespace ignored);
 * AES-256-GCM under an AAD naming the slot kind and both public keys opens the 64 secret bytes, whose
 * public keys must equal the stated ones. Parameters are bounded before any work.
 */
public final class SealedIdentity {
  private static final Map<String, Long> LIMITS = Map.of("memoryKib", 1L << 20, "iterations", 64L, "parallelism", 16L);

  private SealedIdentity() {}

  /** The stated public keys (Ed25519, X25519) once the secrets inside match them, and the slot key. */
  public record Opened(String ed25519PublicKey, String x25519PublicKey, byte[] slotKey) {}

  /** The bytes a slot of {@code kind} is keyed with. */
  static byte[] slotSecret(String kind, String text) {
    if (kind.equals("passphrase")) {
      String nfc = Normalizer.normalize(text, Normalizer.Form.NFC);
      if (nfc.isEmpty()) throw new ClientError("invalid_key", "the empty passphrase is refused");
      return nfc.getBytes(StandardCharsets.UTF_8);
    }
    String code = text.replaceAll("[-\\t\\n\\u000b\\f\\r ]", "").toUpperCase(java.util.Locale.ROOT);
    if (!code.matches("[A-Z2-7]{32}")) throw new ClientError("invalid_encoding", "a recovery code is 32 base32 characters");
    return code.getBytes(StandardCharsets.US_ASCII);
  }

  public static Opened open(Object sealedValue, String kind, String secret) {
    Map<String, Object> sealed = Json.obj(sealedValue);
    if (sealed == null || !"avp-identity".equals(sealed.get("format")) || !new Json.Num("1").equals(sealed.get("version"))) {
      throw new ClientError("unsupported_scheme", "unknown format or version");
    }
    byte[] secretBytes = slotSecret(kind, secret);
    List<Object> slots = Json.list(sealed.get("slots"));
    Map<String, Object> slot = slots == null ? null
        : slots.stream().map(Json::obj).filter(s -> s != null && kind.equals(s.get("kind"))).findFirst().orElse(null);
    if (slot == null) throw new ClientError("invalid_passphrase", "no slot of kind " + kind);
    Map<String, Object> kdf = Json.obj(slot.get("kdf"));
    if (kdf == null || !"argon2id".equals(kdf.get("name")) || !new Json.Num("19").equals(kdf.get("version"))
        || !"AES-256-GCM".equals(slot.get("cipher"))) {
      throw new ClientError("unsupported_scheme", "unknown KDF or cipher");
    }
    byte[] iv = B64.decodeStd(Json.str(slot, "iv"), 12);
    byte[] ciphertext = B64.decodeStd(Json.str(slot, "ciphertext"), 80);
    String ed = Json.str(sealed, "ed25519PublicKey");
    String x = Json.str(sealed, "x25519PublicKey");
    B64.decodeStd(ed, 32);
    B64.decodeStd(x, 32);
    Map<String, Integer> params = new java.util.HashMap<>();
    for (Map.Entry<String, Long> limit : LIMITS.entrySet()) {
      long v;
      try {
        v = Envelope.counter(kdf.get(limit.getKey()), limit.getKey());
      } catch (ClientError e) {
        v = -1;
      }
      if (v < 1 || v > limit.getValue()) {
        throw new ClientError("invalid_encoding", limit.getKey() + " missing, below 1 or above " + limit.getValue() + ": refused before any work");
      }
      params.put(limit.getKey(), (int) v);
    }
    if (params.get("memoryKib") < 8 * params.get("parallelism")) throw new ClientError("invalid_encoding", "memoryKib below 8 x parallelism");
    byte[] salt = B64.decodeStd(Json.str(kdf, "salt"));
    if (salt.length < 8) throw new ClientError("invalid_encoding", "salt shorter than 8 bytes");
    byte[] slotKey = Argon2id.derive(secretBytes, salt, params.get("memoryKib"), params.get("iterations"), params.get("parallelism"), 32,
        new byte[0], new byte[0]);
    byte[] aad = ("avp-identity/v1\u001f" + kind + "\u001f" + ed + "\u001f" + x).getBytes(StandardCharsets.UTF_8);
    byte[] plain;
    try {
      plain = Envelope.open(slotKey, iv, aad, ciphertext);
    } catch (ClientError e) {
      throw new ClientError("invalid_passphrase", "the passphrase or recovery code does not open this identity");
    }
    String gotEd = B64.encodeStd(Keys.rawPublic(Keys.pair(true, java.util.Arrays.copyOfRange(plain, 0, 32)).getPublic()));
    String gotX = B64.encodeStd(Keys.rawPublic(Keys.pair(false, java.util.Arrays.copyOfRange(plain, 32, 64)).getPublic()));
    if (!gotEd.equals(ed) || !gotX.equals(x)) throw new ClientError("invalid_encoding", "the sealed secrets do not match the stated public keys");
    return new Opened(ed, x, slotKey);
  }
}
