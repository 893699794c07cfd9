package avp.actor;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The payload plaintext rules (vectors/payload-parse.json): the strict reader plus UTF-8, depth and
 * surrogate checks, the alt field rules, and the canonical writer (policy on and off).
 */
final class Payload {
  private Payload() {}

  /** The payload object is depth 1. */
  static final int MAX_DEPTH = 32;

  private static final List<String> ALT_TYPES = List.of("MICROSOFT", "COOKIE", "SESSION", "OFFLINE");
  /** The members the writer places itself; every other alt member is written first, verbatim. */
  private static final Set<String> ALT_KNOWN = Set.of("uuid", "username", "accessToken", "type", "lastUsed", "refreshToken",
      "expiresAt", "lastUsedBy", "sourceClient", "sourceUser", "bans", "ban");

  /** A payload written back canonically, with what was read. */
  record Canonical(String json, long payloadVersion, int altCount) {}

  private static ClientError invalid(String why) {
    return new ClientError("invalid_encoding", "payload: " + why);
  }

  /** Parse a payload plaintext strictly and write it canonically; a ClientError when it is refused. */
  static Canonical canonical(byte[] plaintext, boolean shareRefreshTokens) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(plaintext)).toString();
    } catch (CharacterCodingException e) {
      throw invalid("not UTF-8");
    }
    Object doc;
    try {
      doc = Json.parse(text, MAX_DEPTH); // a BOM is U+FEFF here, which the reader refuses
    } catch (Json.SyntaxError e) {
      throw invalid(e.getMessage());
    }
    refuseLoneSurrogates(doc);
    Map<String, Object> payload = Json.obj(doc);
    if (payload == null) throw invalid("the payload must be an object");
    List<Object> alts = Json.list(payload.get("alts"));
    if (alts == null) throw invalid("alts must be an array");
    List<Object> written = new ArrayList<>();
    for (Object alt : alts) written.add(alt(alt, shareRefreshTokens));
    long version = counter(payload.get("payloadVersion"), "payloadVersion");
    return new Canonical(Json.write(Json.of("alts", written, "payloadVersion", version)), version, alts.size());
  }

  /** The text is decoded UTF-8, so a lone surrogate can only come from a \\u escape. */
  private static void refuseLoneSurrogates(Object v) {
    if (v instanceof String str) {
      for (int k = 0; k < str.length(); k++) {
        char c = str.charAt(k);
        if (Character.isHighSurrogate(c) && k + 1 < str.length() && Character.isLowSurrogate(str.charAt(k + 1))) {
          k++;
        } else if (Character.isSurrogate(c)) {
          throw invalid("lone surrogate escape");
        }
      }
    } else if (v instanceof Map<?, ?> m) {
      m.forEach((key, value) -> {
        refuseLoneSurrogates(key);
        refuseLoneSurrogates(value);
      });
    } else if (v instanceof List<?> list) {
      list.forEach(Payload::refuseLoneSurrogates);
    }
  }

  /** A number that is not an integer in [0, 2^53-1] is counter_out_of_range, any other type invalid_encoding. */
  private static long counter(Object v, String name) {
    if (!(v instanceof Json.Num)) throw invalid(name + " must be a number");
    return Envelope.counter(v, name);
  }

  private static String text(Object v, String name) {
    if (!(v instanceof String str)) throw invalid(name + " must be a string");
    return str;
  }

  /** An optional string member: absent and null read as absent. */
  private static void copyText(Map<String, Object> from, String name, Map<String, Object> to) {
    if (from.get(name) != null) to.put(name, text(from.get(name), name));
  }

  private static Map<String, Object> alt(Object raw, boolean shareRefreshTokens) {
    Map<String, Object> alt = Json.obj(raw);
    if (alt == null) throw invalid("an alt must be an object");
    Map<String, Object> out = new LinkedHashMap<>();
    alt.forEach((key, value) -> {
      if (!ALT_KNOWN.contains(key)) out.put(key, value);
    });
    for (String key : List.of("uuid", "username", "accessToken")) out.put(key, text(alt.get(key), key));
    if (!ALT_TYPES.contains(alt.get("type"))) throw invalid("type must be one of " + ALT_TYPES);
    out.put("type", alt.get("type"));
    out.put("lastUsed", counter(alt.get("lastUsed"), "lastUsed"));
    // Policy off: the refresh token and its expiry are read (and type-checked) but not written.
    Map<String, Object> refresh = new LinkedHashMap<>();
    copyText(alt, "refreshToken", refresh);
    if (alt.get("expiresAt") != null) refresh.put("expiresAt", counter(alt.get("expiresAt"), "expiresAt"));
    if (shareRefreshTokens) out.putAll(refresh);
    for (String key : List.of("lastUsedBy", "sourceClient", "sourceUser")) copyText(alt, key, out);
    Object bans = alt.get("bans");
    Object legacy = alt.get("ban");
    if (bans != null && Json.obj(bans) == null) throw invalid("bans must be an object");
    Map<String, Object> entries = new LinkedHashMap<>();
    if (bans != null) Json.obj(bans).forEach((server, ban) -> entries.put(server, ban(ban)));
    // A legacy single ban reads as bans["unknown"] unless the map has that entry.
    if (legacy != null) entries.putIfAbsent("unknown", ban(legacy));
    if (bans != null || legacy != null) out.put("bans", entries);
    return out;
  }

  private static Map<String, Object> ban(Object raw) {
    Map<String, Object> ban = Json.obj(raw);
    if (ban == null || !(ban.get("banned") instanceof Boolean banned)) throw invalid("a ban needs a boolean banned");
    Map<String, Object> out = Json.of("banned", banned, "observedAt", counter(ban.get("observedAt"), "observedAt"),
        "source", text(ban.get("source"), "source"), "detail", text(ban.get("detail"), "detail"));
    copyText(ban, "observedBy", out);
    return out;
  }
}
