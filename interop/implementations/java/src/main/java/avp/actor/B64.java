package avp.actor;

import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Strict base64: the standard alphabet with canonical padding, and base64url without padding. The
 * JDK decoders accept non-zero trailing bits, so a decoded value must re-encode to exactly the input.
 */
public final class B64 {
  private static final Pattern STD = Pattern.compile("(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?");
  private static final Pattern URL = Pattern.compile("[A-Za-z0-9_-]*");

  private B64() {}

  public static byte[] decodeStd(String s) {
    if (s == null || !STD.matcher(s).matches()) throw invalid();
    byte[] b = Base64.getDecoder().decode(s);
    if (!encodeStd(b).equals(s)) throw invalid();
    return b;
  }

  public static byte[] decodeStd(String s, int length) {
    byte[] b = decodeStd(s);
    if (b.length != length) throw new ClientError("invalid_encoding", b.length + " bytes where " + length + " are required");
    return b;
  }

  public static byte[] decodeUrl(String s) {
    if (s == null || !URL.matcher(s).matches() || s.length() % 4 == 1) throw invalid();
    byte[] b = Base64.getUrlDecoder().decode(s);
    if (!encodeUrl(b).equals(s)) throw invalid();
    return b;
  }

  public static String encodeStd(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  public static String encodeUrl(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static ClientError invalid() {
    return new ClientError("invalid_encoding", "not canonical base64");
  }
}
