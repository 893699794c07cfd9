package avp.actor;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.List;
import java.util.Map;

/**
 * Sealed identities (avp-identity v1). The JDK has no Argon2id, so the one step this actor cannot
 * recompute is the KDF: it takes the Argon2id output from the vector's checker aid (derivedKeyHex;
 * Python and Rust recompute it) and checks everything else: format, the secret's rules, slot choice,
 * parameter limits, the AAD, AES-GCM and the derived public keys.
 */
public final class SealedIdentity {
  private static final Map<String, Long> LIMITS = Map.of("memoryKib", 1L << 20, "iterations", 64L, "parallelism", 16L);

  private SealedIdentity() {}

  /** The stated public keys (Ed25519, X25519) once the secrets inside are shown to match them. */
  public record Opened(String ed25519PublicKey, String x25519PublicKey) {}

  static void checkSecret(String kind, String text) {
    if (kind.equals("passphrase")) {
      if (Normalizer.normalize(text, Normalizer.Form.NFC).isEmpty()) throw new ClientError("invalid_key", "the empty passphrase is refused");
      return;
    }
    String code = text.replaceAll("[-\\t\\n\\u000b\\f\\r ]", "").toUpperCase(java.util.Locale.ROOT);
    if (!code.matches("[A-Z2-7]{32}")) throw new ClientError("invalid_encoding", "a recovery code is 32 base32 characters");
  }

  public static Opened open(Object sealedValue, String kind, String secret, String derivedKeyHex) {
    Map<String, Object> sealed = Json.obj(sealedValue);
    if (sealed == null || !"avp-identity".equals(sealed.get("format")) || !new Json.Num("1").equals(sealed.get("version"))) {
      throw new ClientError("unsupported_scheme", "unknown format or version");
    }
    checkSecret(kind, secret);
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
    for (Map.Entry<String, Long> limit : LIMITS.entrySet()) {
      if (Envelope.counter(kdf.get(limit.getKey()), limit.getKey()) > limit.getValue()) {
        throw new ClientError("invalid_encoding", limit.getKey() + " above the limit " + limit.getValue() + ": refused before any work");
      }
    }
    B64.decodeStd(Json.str(kdf, "salt"));
    if (derivedKeyHex == null) throw new ClientError("unsupported", "no derivedKeyHex checker aid for a case that reaches the KDF");
    byte[] aad = ("avp-identity/v1\u001f" + kind + "\u001f" + ed + "\u001f" + x).getBytes(StandardCharsets.UTF_8);
    byte[] plain;
    try {
      plain = Envelope.open(Keys.hex(derivedKeyHex), iv, aad, ciphertext);
    } catch (ClientError e) {
      throw new ClientError("invalid_passphrase", "the passphrase or recovery code does not open this identity");
    }
    String gotEd = B64.encodeStd(Keys.rawPublic(Keys.pair(true, java.util.Arrays.copyOfRange(plain, 0, 32)).getPublic()));
    String gotX = B64.encodeStd(Keys.rawPublic(Keys.pair(false, java.util.Arrays.copyOfRange(plain, 32, 64)).getPublic()));
    if (!gotEd.equals(ed) || !gotX.equals(x)) throw new ClientError("invalid_encoding", "the sealed secrets do not match the stated public keys");
    return new Opened(ed, x);
  }
}
