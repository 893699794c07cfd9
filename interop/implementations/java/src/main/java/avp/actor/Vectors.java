package avp.actor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * verify_vectors: every case of every file listed in {@code <dir>/index.json}, checked with this
 * actor's own crypto. A file, op or check this verifier does not know is a failure, never a skip.
 * Inside a case, a stated value that differs, an unexpected rejection or a mistyped field throws, and
 * the walk records the reason as that case's failure.
 */
public final class Vectors {
  private Vectors() {}

  /** A stated value differs from the recomputed one. */
  static final class Mismatch extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Mismatch(String message) {
      super(message);
    }
  }

  public record FileReport(int checked, int failed, int skipped, List<String> failures) {
    Map<String, Object> toJson() {
      return Json.of("checked", checked, "failed", failed, "skipped", skipped, "failures", failures);
    }
  }

  private static final HexFormat HEX = HexFormat.of();

  private static void expect(boolean ok, String what) {
    if (!ok) throw new Mismatch(what + " differs");
  }

  /** {@code call} must be rejected with {@code code}. */
  private static void mustFail(String code, Runnable call) {
    try {
      call.run();
    } catch (ClientError e) {
      if (!e.code.equals(code)) throw new Mismatch("failed with " + e.code + " (" + e.getMessage() + "), expected " + code);
      return;
    }
    throw new Mismatch("accepted where it must fail with " + code);
  }

  private static String s(Map<String, Object> c, String name) {
    Object v = c.get(name);
    if (!(v instanceof String str)) throw new Mismatch("field " + name + " is not a string");
    return str;
  }

  private static Map<String, Object> o(Object v) {
    Map<String, Object> m = Json.obj(v);
    if (m == null) throw new Mismatch("not an object");
    return m;
  }

  private static byte[] hex(Map<String, Object> c, String name) {
    return HEX.parseHex(s(c, name));
  }

  private static String hex(byte[] b) {
    return HEX.formatHex(b);
  }

  private static int intOf(Object v) {
    return Math.toIntExact(Envelope.counter(v, "integer"));
  }

  static byte[] sha256(byte[]... parts) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (byte[] p : parts) d.update(p);
      return d.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  static void checkAad(Map<String, Object> c) {
    expect(hex(Envelope.aad(s(c, "repoId"), c.get("payloadVersion"), c.get("keyEpoch"))).equals(c.get("expectedAadHex")), "AAD");
  }

  static void checkBindingMessage(Map<String, Object> c) {
    expect((s(c, "ed25519PublicKey") + "|" + s(c, "x25519PublicKey")).equals(c.get("expectedMessageUtf8")), "message");
  }

  static void checkHkdf(Map<String, Object> c) {
    expect("SHA-256".equals(c.get("hash")), "hash");
    byte[] prk = Envelope.hkdfExtract(hex(c, "saltHex"), hex(c, "ikmHex"));
    expect(hex(prk).equals(c.get("prkHex")), "PRK");
    expect(hex(Envelope.hkdfExpand(prk, hex(c, "infoHex"), intOf(c.get("length")))).equals(c.get("okmHex")), "OKM");
  }

  static void checkX25519(Map<String, Object> c) {
    expect(hex(Envelope.x25519(hex(c, "scalarHex"), hex(c, "uCoordinateHex"))).equals(c.get("outputHex")), "shared secret");
  }

  static void checkEd25519(Map<String, Object> c) {
    var key = Keys.pair(true, hex(c, "seedHex"));
    byte[] message = hex(c, "messageHex");
    expect(hex(Keys.rawPublic(key.getPublic())).equals(c.get("publicKeyHex")), "public key");
    expect(hex(Ed25519Strict.sign(key, message)).equals(c.get("signatureHex")), "signature");
    expect(Ed25519Strict.verify(hex(c, "publicKeyHex"), message, hex(c, "signatureHex")), "verify");
  }

  private static String verdict(boolean ok) {
    return ok ? "accept" : "reject";
  }

  static void checkPolicy(Map<String, Object> c) {
    String got = verdict(Ed25519Strict.verify(hex(c, "publicKeyHex"), hex(c, "messageHex"), hex(c, "signatureHex")));
    expect(got.equals(c.get("verdict")), "strict policy verdict " + got);
  }

  static void checkKeyBinding(Map<String, Object> c) {
    String message = s(c, "ed25519PublicKey") + "|" + s(c, "x25519PublicKey");
    expect(message.equals(c.get("messageUtf8")), "message");
    byte[] issuer = B64.decodeStd(s(c, "issuerPublicKey"), 32);
    boolean valid = c.get("keyBindingSig") != null && Ed25519Strict.verify(issuer, utf8(message), B64.decodeStd(s(c, "keyBindingSig"), 64));
    expect(verdict(valid).equals(c.get("verdict")), "binding verdict " + verdict(valid));
    expect(valid || "binding_invalid".equals(c.get("expectedError")), "expectedError");
  }

  /** What a server answers a token request: bad_request, unauthorized, or null for acceptance. */
  static String challengeOutcome(Map<String, Object> c) {
    byte[] key;
    byte[] nonce;
    byte[] sig;
    try {
      key = B64.decodeStd(Json.str(c, "ed25519PublicKey"), 32);
      nonce = B64.decodeStd(Json.str(c, "nonce"), 32);
      sig = B64.decodeStd(Json.str(c, "signature"), 64);
    } catch (ClientError e) {
      return "bad_request";
    }
    return Ed25519Strict.verify(key, nonce, sig) ? null : "unauthorized";
  }

  static void checkChallenge(Map<String, Object> c) {
    String outcome = challengeOutcome(c);
    expect(java.util.Objects.equals(outcome, c.get("expectedError")), "server outcome " + outcome);
    expect((outcome == null) == "accept".equals(c.get("verdict")), "verdict");
  }

  /** Re-encrypt, decrypt and tamper one payload case (payload-aead and payload-aead-sizes). */
  static void checkSealed(Map<String, Object> c, byte[] plaintext) {
    byte[] key = B64.decodeStd(s(c, "keyB64"), 32);
    byte[] iv = B64.decodeStd(s(c, "ivB64"), 12);
    String repoId = s(c, "repoId");
    byte[] header = Envelope.aad(repoId, c.get("payloadVersion"), c.get("keyEpoch"));
    expect(hex(header).equals(c.get("aadHex")), "AAD");
    byte[] sealed = Envelope.seal(key, iv, header, plaintext);
    if (c.containsKey("ciphertextB64")) expect(B64.encodeStd(sealed).equals(c.get("ciphertextB64")), "ciphertext");
    else expect(hex(sha256(sealed)).equals(c.get("ciphertextSha256Hex")), "ciphertext digest");
    if (c.containsKey("tagHex")) expect(hex(Arrays.copyOfRange(sealed, sealed.length - 16, sealed.length)).equals(c.get("tagHex")), "tag");
    expect(Arrays.equals(Envelope.decryptPayload(key, repoId, c.get("payloadVersion"), c.get("keyEpoch"), iv, sealed), plaintext), "open");
    mustFail("invalid_tag", () -> Envelope.decryptPayload(key, repoId, c.get("payloadVersion"), c.get("tamperEpoch"), iv, sealed));
    List<Object> offsets = Json.list(c.get("tamperBitFlipOffsets"));
    for (Object off : offsets == null ? List.of() : offsets) {
      byte[] flipped = sealed.clone();
      flipped[intOf(off)] ^= 1;
      mustFail("invalid_tag", () -> Envelope.decryptPayload(key, repoId, c.get("payloadVersion"), c.get("keyEpoch"), iv, flipped));
    }
  }

  /** Block i = SHA-256(seed ‖ uint32BE(i)); the plaintext is the first {@code length} bytes of the blocks. */
  static byte[] expandPlaintext(byte[] seed, int length) {
    byte[] out = new byte[length];
    for (int i = 0, at = 0; at < length; i++, at += 32) {
      byte[] block = sha256(seed, ByteBuffer.allocate(4).putInt(i).array());
      System.arraycopy(block, 0, out, at, Math.min(32, length - at));
    }
    return out;
  }

  static void checkKeyWrap(Map<String, Object> c) {
    byte[] recipient = B64.decodeStd(s(c, "recipientPrivateKeyB64"), 32);
    byte[] ephemeral = B64.decodeStd(s(c, "ephemeralPrivateKeyB64"), 32);
    byte[] dataKey = B64.decodeStd(s(c, "dataKeyB64"), 32);
    Envelope.WrappedKey wk = Envelope.WrappedKey.of(c.get("wrappedKey"));
    expect(wk != null, "wrappedKey shape");
    expect(B64.encodeStd(Keys.rawPublic(Keys.pair(false, recipient).getPublic())).equals(c.get("recipientPublicKeyB64")), "recipient public key");
    byte[] ephemeralPublic = Keys.rawPublic(Keys.pair(false, ephemeral).getPublic());
    expect(B64.encodeStd(ephemeralPublic).equals(wk.ephemeralPublicKey()), "ephemeral public key");
    byte[] shared = Envelope.x25519(ephemeral, B64.decodeStd(s(c, "recipientPublicKeyB64"), 32));
    expect(hex(shared).equals(c.get("sharedSecretHex")), "shared secret");
    expect(hex(Envelope.deriveKek(shared, ephemeralPublic)).equals(c.get("kekHex")), "KEK");
    expect(new String(Envelope.WRAP_INFO, StandardCharsets.UTF_8).equals(c.get("info")) && Envelope.SCHEME_ID.equals(wk.schemeId()), "scheme");
    Envelope.WrappedKey again = Envelope.wrap(dataKey, B64.decodeStd(s(c, "recipientPublicKeyB64"), 32), ephemeral, B64.decodeStd(wk.iv(), 12));
    expect(again.equals(wk), "re-wrapped key");
    expect(Arrays.equals(Envelope.unwrap(wk, recipient), dataKey), "unwrap");
  }

  /** A token's known members in the vectors' decoded form, and the token re-encoded. */
  private static Object[] decodedToken(String token, String schema) {
    if (schema.equals("InviteRequest")) {
      Federation.Invite i = Federation.decodeInvite(token);
      return new Object[] {Json.of("v", 1, "ed25519PublicKey", i.ed25519PublicKey(), "x25519PublicKey", i.x25519PublicKey()), Federation.encodeInvite(i)};
    }
    Federation.Locator l = Federation.decodeLocator(token);
    Map<String, Object> out = Json.of("v", 1, "host", l.host(), "repoId", l.repoId());
    if (l.schemeId() != null) out.put("schemeId", l.schemeId());
    if (l.keyEpoch() != null) out.put("keyEpoch", l.keyEpoch());
    if (l.issuerJwksUrl() != null) out.put("issuerJwksUrl", l.issuerJwksUrl());
    return new Object[] {out, Federation.encodeLocator(l)};
  }

  /** Order-insensitive JSON text for comparing decoded tokens. */
  private static String canonical(Object v) {
    Map<String, Object> m = Json.obj(v);
    if (m == null) return Json.write(v);
    StringBuilder b = new StringBuilder("{");
    for (Map.Entry<String, Object> e : new TreeMap<>(m).entrySet()) {
      if (b.length() > 1) b.append(',');
      b.append(Json.write(e.getKey())).append(':').append(canonical(e.getValue()));
    }
    return b.append('}').toString();
  }

  static void checkToken(Map<String, Object> c) {
    Object[] got = decodedToken(s(c, "base64url"), s(c, "schema"));
    expect(canonical(got[0]).equals(canonical(c.get("decoded"))), "decoded");
    expect(got[1].equals(c.get("base64url")), "re-encoded token");
    expect(B64.encodeUrl(utf8(s(c, "canonicalJson"))).equals(c.get("base64url")), "canonical JSON");
  }

  static void checkOracle(Map<String, Object> c) {
    expect(B64.encodeUrl(utf8(s(c, "json"))).equals(c.get("base64url")), "base64url of json");
    expect(canonical(decodedToken(s(c, "base64url"), s(c, "schema"))[0]).equals(canonical(c.get("decoded"))), "decoded");
  }

  static void checkUri(Map<String, Object> c) {
    Federation.Address a = Federation.parseAddress(s(c, "uri"));
    expect(a.host().equals(c.get("host")) && a.repoId().equals(c.get("repoId")), "parsed address");
    expect(Federation.formatAddress(a.host(), a.repoId()).equals(c.get("uri")), "formatted address");
  }

  private static final Map<String, java.util.function.Consumer<Map<String, Object>>> NEGATIVE_OPS = new HashMap<>();

  static {
    NEGATIVE_OPS.put("payload-decrypt", c -> Envelope.decryptPayload(B64.decodeStd(s(c, "keyB64")), s(c, "repoId"),
        c.get("payloadVersion"), c.get("keyEpoch"), B64.decodeStd(s(c, "ivB64")), B64.decodeStd(s(c, "ciphertextB64"))));
    NEGATIVE_OPS.put("key-unwrap", c -> Envelope.unwrap(new Envelope.WrappedKey(
        c.containsKey("schemeId") ? s(c, "schemeId") : Envelope.SCHEME_ID, s(c, "ephemeralPublicKeyB64"), s(c, "ivB64"), s(c, "ciphertextB64")),
        B64.decodeStd(s(c, "recipientPrivateKeyB64"))));
    NEGATIVE_OPS.put("key-wrap", c -> Envelope.wrap(B64.decodeStd(s(c, "dataKeyB64")), B64.decodeStd(s(c, "recipientPublicKeyB64")),
        B64.decodeStd(s(c, "ephemeralPrivateKeyB64")), B64.decodeStd(s(c, "ivB64"), 12)));
    NEGATIVE_OPS.put("x25519", c -> Envelope.x25519(hex(c, "scalarHex"), hex(c, "uCoordinateHex")));
    NEGATIVE_OPS.put("aad", c -> Envelope.aad(s(c, "repoId"), c.get("payloadVersion"), c.get("keyEpoch")));
    NEGATIVE_OPS.put("base64-decode", c -> {
      if (c.get("length") == null) B64.decodeStd(s(c, "input"));
      else B64.decodeStd(s(c, "input"), intOf(c.get("length")));
    });
    NEGATIVE_OPS.put("invite-decode", c -> Federation.decodeInvite(s(c, "token")));
    NEGATIVE_OPS.put("locator-decode", c -> Federation.decodeLocator(s(c, "token")));
    NEGATIVE_OPS.put("address-parse", c -> Federation.parseAddress(s(c, "uri")));
  }

  static void checkNegative(Map<String, Object> c) {
    expect("reject".equals(c.get("expect")), "expect");
    if ("ed25519-verify".equals(c.get("op"))) {
      expect(!Ed25519Strict.verify(hex(c, "publicKeyHex"), hex(c, "messageHex"), hex(c, "signatureHex")), "the mutated signature verifies:");
      return;
    }
    var op = NEGATIVE_OPS.get(s(c, "op"));
    if (op == null) throw new Mismatch("unknown op " + c.get("op"));
    mustFail(s(c, "expectedError"), () -> op.accept(c));
  }

  static void checkIdentity(Map<String, Object> c) {
    java.util.function.Supplier<SealedIdentity.Opened> open =
        () -> SealedIdentity.open(c.get("sealed"), s(c, "unlockWith"), s(c, "secret"));
    if ("accept".equals(c.get("verdict"))) {
      SealedIdentity.Opened got = open.get();
      expect(got.ed25519PublicKey().equals(c.get("ed25519PublicKey")) && got.x25519PublicKey().equals(c.get("x25519PublicKey")), "opened keys");
      expect(!c.containsKey("derivedKeyHex") || hex(got.slotKey()).equals(c.get("derivedKeyHex")), "Argon2id output");
      return;
    }
    mustFail(s(c, "expectedError"), open::get);
  }

  /** RFC 6901. */
  static Object pointer(Object root, String at) {
    Object node = root;
    String[] tokens = at.split("/", -1);
    for (int k = 1; k < tokens.length; k++) {
      String token = tokens[k].replace("~1", "/").replace("~0", "~");
      List<Object> list = Json.list(node);
      if (list != null) {
        int i = token.matches("0|[1-9][0-9]{0,8}") ? Integer.parseInt(token) : -1;
        node = i >= 0 && i < list.size() ? list.get(i) : null;
      } else {
        Map<String, Object> m = Json.obj(node);
        node = m == null ? null : m.get(token);
      }
      if (node == null) throw new Mismatch("no value at " + at);
    }
    return node;
  }

  static String jwkThumbprint(byte[] x) {
    return B64.encodeUrl(sha256(utf8("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + B64.encodeUrl(x) + "\"}")));
  }

  static void checkStep(Map<String, Object> c, Map<String, Object> doc) {
    Map<String, Object> srv = o(doc.get("server"));
    byte[] server = B64.decodeStd(s(srv, "ed25519PublicKey"), 32);
    expect(jwkThumbprint(server).equals(srv.get("kid")), "server kid");
    Map<String, Object> secrets = o(doc.get("secrets"));
    Map<String, Object> dataKeys = o(secrets.get("dataKeys"));
    Map<String, Object> plaintexts = o(secrets.get("plaintexts"));
    Map<String, String> tokens = new HashMap<>();
    for (Object raw : Json.list(doc.get("cases"))) {
      Map<String, Object> step = o(raw);
      if (s(step, "name").endsWith("-token")) tokens.put(s(step, "actor"), s(o(o(step.get("response")).get("body")), "token"));
    }
    Map<String, Object> headers = Json.obj(o(c.get("request")).get("headers"));
    if (headers != null && headers.containsKey("Authorization")) {
      expect(("Bearer " + tokens.get(Json.str(c, "actor"))).equals(headers.get("Authorization")), "bearer token of the acting actor");
    }
    List<Object> checks = Json.list(c.get("checks"));
    for (Object raw : checks == null ? List.of() : checks) {
      Map<String, Object> check = o(raw);
      Object target = pointer(c, s(check, "at"));
      switch (s(check, "check")) {
        case "nonce-signature" -> expect(challengeOutcome(o(target)) == null, "nonce signature");
        case "jwt" -> {
          String[] parts = ((String) target).split("\\.", -1);
          expect(parts.length == 3, "JWT parts");
          expect(Ed25519Strict.verify(server, utf8(parts[0] + "." + parts[1]), B64.decodeUrl(parts[2])), "JWT signature");
          Map<String, Object> head;
          Map<String, Object> claims;
          try {
            head = o(Json.parse(new String(B64.decodeUrl(parts[0]), StandardCharsets.UTF_8)));
            claims = o(Json.parse(new String(B64.decodeUrl(parts[1]), StandardCharsets.UTF_8)));
          } catch (Json.SyntaxError e) {
            throw new Mismatch("JWT part is not JSON: " + e.getMessage());
          }
          expect(canonical(head).equals(canonical(Json.of("alg", "EdDSA", "typ", "JWT", "kid", srv.get("kid")))), "JWT header");
          expect(("key:" + s(check, "subject")).equals(claims.get("sub")) && "keypair".equals(claims.get("kind")), "JWT claims");
          long iat = Envelope.counter(claims.get("iat"), "iat");
          long exp = Envelope.counter(claims.get("exp"), "exp");
          expect(doc.get("base").equals(claims.get("aud")) && doc.get("base").equals(claims.get("iss")) && exp > iat, "JWT audience");
        }
        case "jwks" -> {
          Map<String, Object> t = o(target);
          expect("OKP".equals(t.get("kty")) && "Ed25519".equals(t.get("crv")) && "EdDSA".equals(t.get("alg")), "JWK");
          expect(Arrays.equals(B64.decodeUrl(s(t, "x")), server) && srv.get("kid").equals(t.get("kid")), "JWK key");
        }
        case "key-binding" -> {
          Map<String, Object> t = o(target);
          byte[] message = utf8(s(t, "ed25519PublicKey") + "|" + s(t, "x25519PublicKey"));
          expect(Ed25519Strict.verify(server, message, B64.decodeStd(s(t, "keyBindingSig"), 64)), "key binding");
        }
        case "unwrap" -> {
          Map<String, Object> actor = o(o(doc.get("actors")).get(s(check, "actor")));
          Envelope.WrappedKey wk = Envelope.WrappedKey.of(target);
          expect(wk != null, "wrapped key shape");
          byte[] got = Envelope.unwrap(wk, B64.decodeStd(s(actor, "x25519PrivateB64"), 32));
          expect(B64.encodeStd(got).equals(dataKeys.get(s(check, "dataKey"))), "unwrap");
        }
        case "decrypt", "decrypt-fails" -> {
          Map<String, Object> t = o(target);
          byte[] key = B64.decodeStd(s(dataKeys, s(check, "dataKey")), 32);
          java.util.function.Supplier<byte[]> open = () -> Envelope.decryptPayload(key, s(t, "repoId"), t.get("payloadVersion"),
              t.get("keyEpoch"), B64.decodeStd(s(t, "iv"), 12), B64.decodeStd(s(t, "ciphertext")));
          if (s(check, "check").equals("decrypt")) {
            expect(new String(open.get(), StandardCharsets.UTF_8).equals(plaintexts.get(s(check, "plaintext"))), "decrypt");
          } else {
            mustFail(s(check, "expectedError"), open::get);
          }
        }
        default -> throw new Mismatch("unknown check " + check.get("check"));
      }
    }
  }

  /** An accepted plaintext is written back byte for byte (policy on and off), a refused one fails with its expectedError. */
  static void checkPayloadParse(Map<String, Object> c) {
    byte[] plaintext = c.containsKey("plaintextHex") ? hex(c, "plaintextHex") : utf8(s(c, "plaintextUtf8"));
    if (!"accept".equals(c.get("verdict"))) {
      expect("reject".equals(c.get("verdict")), "verdict");
      mustFail(s(c, "expectedError"), () -> Payload.canonical(plaintext, true));
      return;
    }
    Payload.Canonical on = Payload.canonical(plaintext, true);
    expect(on.json().equals(c.get("canonicalUtf8")), "canonical serialization " + on.json());
    expect(Json.Num.of(on.payloadVersion()).equals(c.get("payloadVersion")) && Json.Num.of(on.altCount()).equals(c.get("altCount")),
        "payloadVersion/altCount");
    String stripped = Payload.canonical(plaintext, false).json();
    expect(stripped.equals(c.get("strippedUtf8")), "policy-stripped serialization " + stripped);
  }

  /**
   * A signed-writes accept case's hashes, transcript, signature and plaintext are reproduced from the
   * writer's seed, and the verifying client accepts it; a reject case is refused with its code.
   */
  static void checkSignedWrite(Map<String, Object> c) {
    long version = Envelope.counter(c.get("payloadVersion"), "payloadVersion");
    long epoch = Envelope.counter(c.get("keyEpoch"), "keyEpoch");
    List<Object> members = Json.list(c.get("members"));
    Map<Long, byte[]> held = new HashMap<>();
    if (c.get("heldPrev") != null) held.put(version - 1, B64.decodeStd(s(c, "heldPrev"), 32));
    var served = new SignedWrites.Served(s(c, "repoId"), version, epoch, members, Json.list(c.get("previousMembers")),
        Boolean.TRUE.equals(c.get("everSigned")), held);
    byte[] plaintext = utf8(s(c, "plaintextUtf8"));
    if (!"accept".equals(c.get("verdict"))) {
      expect("reject".equals(c.get("verdict")), "verdict");
      mustFail(s(c, "expectedError"), () -> SignedWrites.checkServed(served, plaintext));
      return;
    }
    byte[] body = utf8(s(c, "bodyUtf8"));
    expect(hex(SignedWrites.rosterHash(members)).equals(c.get("rosterHashHex")), "roster hash");
    expect(hex(sha256(body)).equals(c.get("contentHashHex")), "content hash");
    var writer = Keys.pair(true, hex(c, "writerSeedHex"));
    expect(B64.encodeStd(Keys.rawPublic(writer.getPublic())).equals(c.get("writer")), "writer");
    var signed = SignedWrites.sign(writer, s(c, "repoId"), version, epoch, body, members, B64.decodeStd(s(c, "prev"), 32));
    expect(hex(signed.transcript()).equals(c.get("transcriptHex")), "transcript");
    expect(hex(sha256(signed.transcript())).equals(c.get("stateHashHex")), "state hash");
    expect(Arrays.equals(signed.plaintext(), plaintext), "signed plaintext (record and signature)");
    expect(Arrays.equals(SignedWrites.checkServed(served, plaintext), body), "verified body");
  }

  private static BiConsumer<Map<String, Object>, Map<String, Object>> each(java.util.function.Consumer<Map<String, Object>> f) {
    return (c, doc) -> f.accept(c);
  }

  /** File id -> (case list key, checker) for every file this verifier knows. */
  private static final Map<String, List<Map.Entry<String, BiConsumer<Map<String, Object>, Map<String, Object>>>>> CHECKERS = new HashMap<>();

  static {
    CHECKERS.put("aad", List.of(Map.entry("cases", each(Vectors::checkAad))));
    CHECKERS.put("key-binding-message", List.of(Map.entry("cases", each(Vectors::checkBindingMessage))));
    CHECKERS.put("hkdf", List.of(Map.entry("cases", each(Vectors::checkHkdf))));
    CHECKERS.put("x25519", List.of(Map.entry("cases", each(Vectors::checkX25519))));
    CHECKERS.put("ed25519", List.of(Map.entry("cases", each(Vectors::checkEd25519))));
    CHECKERS.put("ed25519-policy", List.of(Map.entry("cases", each(Vectors::checkPolicy))));
    CHECKERS.put("key-binding", List.of(Map.entry("cases", each(Vectors::checkKeyBinding))));
    CHECKERS.put("challenge", List.of(Map.entry("cases", each(Vectors::checkChallenge))));
    CHECKERS.put("payload-aead", List.of(Map.entry("cases", each(c -> checkSealed(c, utf8(s(c, "plaintextUtf8")))))));
    CHECKERS.put("payload-aead-sizes", List.of(Map.entry("cases", each(c -> {
      Map<String, Object> p = o(c.get("plaintext"));
      checkSealed(c, expandPlaintext(hex(p, "seedHex"), intOf(p.get("length"))));
    }))));
    CHECKERS.put("payload-parse", List.of(Map.entry("cases", each(Vectors::checkPayloadParse))));
    CHECKERS.put("signed-writes", List.of(Map.entry("cases", each(Vectors::checkSignedWrite))));
    CHECKERS.put("key-wrap", List.of(Map.entry("cases", each(Vectors::checkKeyWrap))));
    CHECKERS.put("federation", List.of(Map.entry("tokens", each(Vectors::checkToken)), Map.entry("uris", each(Vectors::checkUri)),
        Map.entry("decodeOracles", each(Vectors::checkOracle))));
    CHECKERS.put("negative", List.of(Map.entry("cases", each(Vectors::checkNegative))));
    CHECKERS.put("negative-extended", List.of(Map.entry("cases", each(Vectors::checkNegative))));
    CHECKERS.put("identity", List.of(Map.entry("cases", each(Vectors::checkIdentity))));
    CHECKERS.put("transcript", List.of(Map.entry("cases", Vectors::checkStep)));
  }

  private static Map<String, Object> readObject(Path path) throws IOException, Json.SyntaxError {
    Map<String, Object> doc = Json.obj(Json.parse(Files.readString(path, StandardCharsets.UTF_8)));
    if (doc == null) throw new IOException(path + " is not a JSON object");
    return doc;
  }

  static FileReport verifyFile(Path dir, Map<String, Object> entry) {
    List<String> failures = new ArrayList<>();
    int announced = intOf(entry.get("cases"));
    var lists = CHECKERS.get(Json.str(entry, "id"));
    if (lists == null) return new FileReport(0, announced, 0, List.of("unknown file " + entry.get("id")));
    Map<String, Object> doc;
    try {
      doc = readObject(dir.resolve(Json.str(entry, "file")));
    } catch (IOException | Json.SyntaxError | RuntimeException e) {
      return new FileReport(0, 1, 0, List.of(entry.get("file") + ": unreadable: " + e.getMessage()));
    }
    int checked = 0;
    for (var list : lists) {
      List<Object> cases = Json.list(doc.get(list.getKey()));
      for (Object raw : cases == null ? List.of() : cases) {
        checked++;
        Map<String, Object> c = Json.obj(raw);
        try {
          list.getValue().accept(c, doc);
        } catch (RuntimeException e) {
          String kind = e instanceof Mismatch ? "" : e instanceof ClientError ce ? "unexpected rejection " + ce.code + ": " : e.getClass().getSimpleName() + ": ";
          failures.add((c == null ? "?" : c.get("name")) + ": " + kind + e.getMessage());
        }
      }
    }
    if (checked != announced) failures.add("index.json announces " + announced + " cases, " + checked + " were checked");
    return new FileReport(checked, failures.size(), 0, failures);
  }

  /** Check every file listed in {@code <dir>/index.json}. */
  public static Map<String, Object> verifyDir(String dir) {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, Object> index;
    try {
      index = readObject(Path.of(dir, "index.json"));
    } catch (IOException | Json.SyntaxError | RuntimeException e) {
      out.put("index.json", new FileReport(0, 1, 0, List.of("unreadable: " + e.getMessage())).toJson());
      return out;
    }
    for (Object raw : Json.list(index.get("vectors"))) {
      Map<String, Object> entry = o(raw);
      out.put(Json.str(entry, "file"), verifyFile(Path.of(dir), entry).toJson());
    }
    return out;
  }
}
