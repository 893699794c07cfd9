package avp.actor;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The signed-writes extension (docs/extensions/signed-writes.md): the writer's Ed25519 signature over
 * a length-prefixed transcript, carried as a fixed-layout record at the front of the payload
 * plaintext, and the checks a verifying client runs on a served state, in the document's order.
 */
final class SignedWrites {
  private SignedWrites() {}

  static final String MARK = "{\"signedWrite\":";
  static final String ADMISSION = "signedWriteAdmission";

  /** A write's signed state: the record's fields and the transcript's hash. */
  record State(byte[] writer, byte[] roster, byte[] prev, byte[] signature, byte[] stateHash) {}

  /** A signed plaintext and the transcript its writer signed. */
  record Signed(byte[] plaintext, byte[] transcript) {}

  /**
   * What a pull hands the verifier: the envelope header's counters, the served roster, the roster last
   * accepted (null on first contact), whether the manifest carries the signedWrites mark, and the
   * state hashes held by version.
   */
  record Served(String repoId, long version, long epoch, List<Object> members, List<Object> previous, boolean marked,
      Map<Long, byte[]> held) {}

  static byte[] lengthPrefixed(byte[]... fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] f : fields) out.writeBytes(ByteBuffer.allocate(4 + f.length).putInt(f.length).put(f).array());
    return out.toByteArray();
  }

  private static byte[] u64(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** SHA-256 over the (Ed25519 ‖ X25519) pairs sorted bytewise; a member listed twice is an error. */
  static byte[] rosterHash(List<Object> members) {
    List<byte[]> pairs = new ArrayList<>();
    for (Object raw : members) {
      Map<String, Object> m = Json.obj(raw);
      byte[] ed = B64.decodeStd(Json.str(m, "ed25519PublicKey"), 32);
      byte[] x = B64.decodeStd(Json.str(m, "x25519PublicKey"), 32);
      pairs.add(ByteBuffer.allocate(64).put(ed).put(x).array());
    }
    pairs.sort(Arrays::compareUnsigned);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(lengthPrefixed(utf8("avp/signed-write/roster/v1")));
    out.writeBytes(ByteBuffer.allocate(4).putInt(pairs.size()).array());
    for (int k = 0; k < pairs.size(); k++) {
      if (k > 0 && Arrays.equals(pairs.get(k), 0, 32, pairs.get(k - 1), 0, 32)) {
        throw new ClientError("invalid_encoding", "a member is listed twice");
      }
      out.writeBytes(pairs.get(k));
    }
    return Vectors.sha256(out.toByteArray());
  }

  static byte[] transcript(String repoId, long version, long epoch, byte[] contentHash, byte[] roster, byte[] prev, byte[] writer) {
    return lengthPrefixed(utf8("avp/signed-write/v1"), utf8(repoId), u64(version), u64(epoch), contentHash, roster, prev, writer);
  }

  /** The plaintext for {@code body} (compact JSON starting with a member name) written by {@code writer}. */
  static Signed sign(KeyPair writer, String repoId, long version, long epoch, byte[] body, List<Object> members, byte[] prev) {
    byte[] roster = rosterHash(members);
    byte[] key = Keys.rawPublic(writer.getPublic());
    byte[] t = transcript(repoId, version, epoch, Vectors.sha256(body), roster, prev, key);
    String record = MARK + "{\"v\":1,\"writer\":\"" + B64.encodeStd(key) + "\",\"roster\":\"" + B64.encodeStd(roster) + "\",\"prev\":\""
        + B64.encodeStd(prev) + "\",\"signature\":\"" + B64.encodeStd(Ed25519Strict.sign(writer, t)) + "\"},";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(utf8(record));
    out.write(body, 1, body.length - 1);
    return new Signed(out.toByteArray(), t);
  }

  /** Reads the record's fixed layout off the front of a plaintext (one char per byte). */
  private static final class RecordReader {
    private String rest;

    RecordReader(byte[] plaintext) {
      rest = new String(plaintext, StandardCharsets.ISO_8859_1);
    }

    /** {@code before} then {@code n} base64 characters decoding to {@code length} bytes; null when not there. */
    byte[] field(String before, int n, int length) {
      if (!rest.startsWith(before) || rest.length() < before.length() + n) return null;
      String value = rest.substring(before.length(), before.length() + n);
      rest = rest.substring(before.length() + n);
      try {
        return B64.decodeStd(value, length);
      } catch (ClientError e) {
        return null;
      }
    }
  }

  /** The verified state and the body; null when the plaintext is unsigned. */
  static Map.Entry<State, byte[]> open(String repoId, long version, long epoch, byte[] plaintext) {
    if (!new String(plaintext, StandardCharsets.ISO_8859_1).startsWith(MARK)) return null;
    RecordReader r = new RecordReader(plaintext);
    byte[] writer = r.field(MARK + "{\"v\":1,\"writer\":\"", 44, 32);
    byte[] roster = r.field("\",\"roster\":\"", 44, 32);
    byte[] prev = r.field("\",\"prev\":\"", 44, 32);
    byte[] signature = r.field("\",\"signature\":\"", 88, 64);
    // The record ends with "}, and the body's first member name follows (292 bytes in all).
    if (writer == null || roster == null || prev == null || signature == null || !r.rest.startsWith("\"},\"")) {
      throw new ClientError("write_unauthenticated", "the signed-write record is malformed");
    }
    byte[] body = ("{" + r.rest.substring(3)).getBytes(StandardCharsets.ISO_8859_1);
    byte[] t = transcript(repoId, version, epoch, Vectors.sha256(body), roster, prev, writer);
    if (!Ed25519Strict.verify(writer, t, signature)) throw new ClientError("write_unauthenticated", "the write's signature does not verify");
    return Map.entry(new State(writer, roster, prev, signature, Vectors.sha256(t)), body);
  }

  private static List<String> ids(List<Object> members) {
    return members.stream().map(m -> Json.str(Json.obj(m), "ed25519PublicKey")).filter(Objects::nonNull).sorted().toList();
  }

  /** Whether {@code body} carries a verifying admission of {@code writer} signed by a member of {@code allowed}. */
  static boolean admitted(String repoId, String writer, List<String> allowed, byte[] body) {
    Map<String, Object> payload;
    try {
      payload = Json.obj(Json.parse(new String(body, StandardCharsets.UTF_8)));
    } catch (Json.SyntaxError e) {
      return false;
    }
    Map<String, Object> admission = payload == null ? null : Json.obj(payload.get(ADMISSION));
    Map<String, Object> s = admission == null ? null : Json.obj(admission.get("state"));
    List<Object> members = admission == null ? null : Json.list(admission.get("members"));
    if (s == null || members == null || !repoId.equals(Json.str(s, "repoId")) || !allowed.contains(Json.str(s, "writer"))
        || !ids(members).contains(writer)) {
      return false;
    }
    try {
      byte[] roster = rosterHash(members);
      byte[] admitter = B64.decodeStd(Json.str(s, "writer"), 32);
      byte[] t = transcript(repoId, Envelope.counter(s.get("payloadVersion"), "payloadVersion"), Envelope.counter(s.get("keyEpoch"), "keyEpoch"),
          B64.decodeStd(Json.str(s, "contentHash"), 32), roster, B64.decodeStd(Json.str(s, "prev"), 32), admitter);
      return B64.encodeStd(roster).equals(Json.str(s, "rosterHash")) && B64.encodeStd(Vectors.sha256(t)).equals(Json.str(s, "stateHash"))
          && Ed25519Strict.verify(admitter, t, B64.decodeStd(Json.str(s, "signature"), 64));
    } catch (ClientError e) {
      return false; // a malformed admission
    }
  }

  /** The checks under the 'refuse' policy; returns the payload body to parse. */
  static byte[] checkServed(Served s, byte[] plaintext) {
    Map.Entry<State, byte[]> opened = open(s.repoId(), s.version(), s.epoch(), plaintext);
    if (opened == null) {
      if (!s.held().isEmpty() || s.marked()) {
        throw new ClientError("downgrade_detected", "version " + s.version() + " is not signed, in a repository seen signed");
      }
      return plaintext;
    }
    State state = opened.getKey();
    byte[] body = opened.getValue();
    if (!Arrays.equals(rosterHash(s.members()), state.roster())) {
      throw new ClientError("roster_unauthenticated", "the served roster is not the one the write was signed with");
    }
    List<String> allowed = ids(s.previous() != null ? s.previous() : s.members());
    String writer = B64.encodeStd(state.writer());
    if (!allowed.contains(writer) && !(s.previous() != null && admitted(s.repoId(), writer, allowed, body))) {
      if (s.previous() != null && !allowed.equals(ids(s.members()))) {
        throw new ClientError("roster_unauthenticated", "the roster changed in a write not signed by a member of the previous roster");
      }
      throw new ClientError("write_unauthenticated", "the write is signed by a key that is not a member");
    }
    byte[] held = s.held().get(s.version());
    if (held != null && !Arrays.equals(held, state.stateHash())) throw new ClientError("fork_detected", "two signed states for version " + s.version());
    byte[] before = s.held().get(s.version() - 1);
    if (before != null && !Arrays.equals(before, state.prev())) {
      throw new ClientError("fork_detected", "version " + s.version() + " does not follow the version held");
    }
    return body;
  }
}
