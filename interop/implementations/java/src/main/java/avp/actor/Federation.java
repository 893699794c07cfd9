package avp.actor;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Federation tokens and addresses (protocol notes §7): invite requests and repo locators are base64url
 * (no padding) over minified JSON in the spec's member order, read in any order; an address is
 * avp://&lt;host[:port]&gt;/&lt;repoId&gt;, the repoId being everything after the first '/'.
 */
public final class Federation {
  private Federation() {}

  public record Invite(String ed25519PublicKey, String x25519PublicKey) {}

  /** Optional members are null when absent. */
  public record Locator(String host, String repoId, String schemeId, Long keyEpoch, String issuerJwksUrl) {}

  public record Address(String host, String repoId) {}

  private static ClientError invalid(String why) {
    return new ClientError("invalid_encoding", why);
  }

  static Map<String, Object> decodeToken(String token) {
    byte[] raw = B64.decodeUrl(token);
    Map<String, Object> doc;
    try {
      String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
      doc = Json.obj(Json.parse(text));
    } catch (CharacterCodingException | Json.SyntaxError e) {
      throw invalid("token is not UTF-8 JSON");
    }
    if (doc == null || !(doc.get("v") instanceof Json.Num v)) throw invalid("token is not an object with a numeric v");
    if (!v.text().equals("1")) throw new ClientError("unsupported_scheme", "token version " + v.text() + " is not 1");
    return doc;
  }

  private static String key32(Map<String, Object> doc, String name) {
    String v = Json.str(doc, name);
    if (v == null) throw invalid(name + " is not a string");
    try {
      B64.decodeStd(v, 32);
    } catch (ClientError e) {
      throw invalid(name + " is not a base64 32-byte key");
    }
    return v;
  }

  public static String encodeInvite(Invite i) {
    String json = Json.write(Json.of("v", 1, "ed25519PublicKey", i.ed25519PublicKey(), "x25519PublicKey", i.x25519PublicKey()));
    return B64.encodeUrl(json.getBytes(StandardCharsets.UTF_8));
  }

  public static Invite decodeInvite(String token) {
    Map<String, Object> doc = decodeToken(token);
    return new Invite(key32(doc, "ed25519PublicKey"), key32(doc, "x25519PublicKey"));
  }

  public static String encodeLocator(Locator l) {
    Map<String, Object> doc = Json.of("v", 1, "host", l.host(), "repoId", l.repoId());
    if (l.schemeId() != null) doc.put("schemeId", l.schemeId());
    if (l.keyEpoch() != null) doc.put("keyEpoch", l.keyEpoch());
    if (l.issuerJwksUrl() != null) doc.put("issuerJwksUrl", l.issuerJwksUrl());
    return B64.encodeUrl(Json.write(doc).getBytes(StandardCharsets.UTF_8));
  }

  private static String optionalString(Map<String, Object> doc, String name) {
    Object v = doc.get(name);
    if (v == null) return null;
    if (!(v instanceof String s)) throw invalid("locator " + name + " is not a string");
    return s;
  }

  public static Locator decodeLocator(String token) {
    Map<String, Object> doc = decodeToken(token);
    String host = Json.str(doc, "host");
    String repoId = Json.str(doc, "repoId");
    if (host == null || host.isEmpty() || host.chars().anyMatch(c -> c == '/' || Character.isWhitespace(c))) {
      throw invalid("locator host is malformed");
    }
    if (repoId == null || repoId.isEmpty()) throw invalid("locator repoId is malformed");
    Long epoch = null;
    Object raw = doc.get("keyEpoch");
    if (raw != null) {
      if (!(raw instanceof Json.Num)) throw invalid("locator keyEpoch is not a number");
      epoch = Envelope.counter(raw, "locator keyEpoch");
    }
    return new Locator(host, repoId, optionalString(doc, "schemeId"), epoch, optionalString(doc, "issuerJwksUrl"));
  }

  public static String formatAddress(String host, String repoId) {
    return "avp://" + host + "/" + repoId;
  }

  /** host: letters, digits, '-', '.', '_' or a bracketed IPv6 literal; an optional port 1-65535. */
  private static final Pattern HOST = Pattern.compile("(?:[A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.]+\\])(?::([0-9]{1,5}))?");

  /** Whitespace as JavaScript's \s sees it, control characters, '?' and '#'. */
  private static boolean forbiddenInRepoId(int c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0xfeff || c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '?' || c == '#';
  }

  public static Address parseAddress(String uri) {
    if (!uri.startsWith("avp://")) throw badAddress("the scheme must be avp://");
    String rest = uri.substring("avp://".length());
    int slash = rest.indexOf('/');
    if (slash < 0) throw badAddress("no repoId");
    String host = rest.substring(0, slash);
    String repoId = rest.substring(slash + 1);
    Matcher m = HOST.matcher(host);
    if (!m.matches()) throw badAddress("malformed host");
    if (m.group(1) != null) {
      int port = Integer.parseInt(m.group(1));
      if (port < 1 || port > 65535) throw badAddress("port out of range");
    }
    if (repoId.isEmpty() || repoId.codePoints().anyMatch(Federation::forbiddenInRepoId)) {
      throw badAddress("empty repoId, or whitespace, a control character, '?' or '#' in it");
    }
    return new Address(host, repoId);
  }

  private static ClientError badAddress(String why) {
    return new ClientError("invalid_address", "not an avp://<host>/<repoId> address: " + why);
  }
}
