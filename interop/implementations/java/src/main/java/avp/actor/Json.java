package avp.actor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader and the matching writer (RFC 8259). Objects are LinkedHashMaps (member
 * order kept), arrays ArrayLists, numbers {@link Num} holding their literal text so that counters are
 * told apart from 1.0 or 2^64 and numbers inside alt accounts pass through verbatim. Duplicate member
 * names, trailing data and nesting deeper than {@link #MAX_DEPTH} are refused.
 */
public final class Json {
  public static final int MAX_DEPTH = 64;

  /** A number literal, kept as written. */
  public record Num(String text) {
    public static Num of(long value) {
      return new Num(Long.toString(value));
    }
  }

  /** The input is not one well-formed JSON value. */
  public static final class SyntaxError extends Exception {
    private static final long serialVersionUID = 1L;

    SyntaxError(String message, int at) {
      super(message + " at offset " + at);
    }
  }

  private final String s;
  private final int maxDepth;
  private int i;

  private Json(String s, int maxDepth) {
    this.s = s;
    this.maxDepth = maxDepth;
  }

  public static Object parse(String text) throws SyntaxError {
    return parse(text, MAX_DEPTH);
  }

  /** One JSON value whose objects and arrays nest at most {@code maxDepth} deep (the outermost is depth 1). */
  public static Object parse(String text, int maxDepth) throws SyntaxError {
    Json p = new Json(text, maxDepth);
    p.ws();
    Object v = p.value(0);
    p.ws();
    if (p.i != text.length()) throw new SyntaxError("trailing characters after the JSON value", p.i);
    return v;
  }

  private void ws() {
    while (i < s.length() && " \t\n\r".indexOf(s.charAt(i)) >= 0) i++;
  }

  private SyntaxError error(String message) {
    return new SyntaxError(message, i);
  }

  private Object value(int depth) throws SyntaxError {
    if (i >= s.length()) throw error("unexpected end of input");
    char c = s.charAt(i);
    if ((c == '{' || c == '[') && depth + 1 > maxDepth) throw error("nesting deeper than " + maxDepth);
    switch (c) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        throw error("unexpected character");
    }
  }

  private Object literal(String word, Object v) throws SyntaxError {
    if (!s.startsWith(word, i)) throw error("invalid literal");
    i += word.length();
    return v;
  }

  private Map<String, Object> object(int depth) throws SyntaxError {
    Map<String, Object> out = new LinkedHashMap<>();
    i++;
    ws();
    if (i < s.length() && s.charAt(i) == '}') {
      i++;
      return out;
    }
    while (true) {
      ws();
      if (i >= s.length() || s.charAt(i) != '"') throw error("expected a member name");
      String key = string();
      if (out.containsKey(key)) throw error("duplicate member name " + key);
      ws();
      expect(':');
      ws();
      out.put(key, value(depth));
      ws();
      if (i < s.length() && s.charAt(i) == ',') {
        i++;
        continue;
      }
      expect('}');
      return out;
    }
  }

  private List<Object> array(int depth) throws SyntaxError {
    List<Object> out = new ArrayList<>();
    i++;
    ws();
    if (i < s.length() && s.charAt(i) == ']') {
      i++;
      return out;
    }
    while (true) {
      ws();
      out.add(value(depth));
      ws();
      if (i < s.length() && s.charAt(i) == ',') {
        i++;
        continue;
      }
      expect(']');
      return out;
    }
  }

  private void expect(char c) throws SyntaxError {
    if (i >= s.length() || s.charAt(i) != c) throw error("expected '" + c + "'");
    i++;
  }

  private String string() throws SyntaxError {
    i++;
    StringBuilder b = new StringBuilder();
    while (true) {
      if (i >= s.length()) throw error("unterminated string");
      char c = s.charAt(i++);
      if (c == '"') return b.toString();
      if (c < 0x20) throw error("control character in a string");
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (i >= s.length()) throw error("unterminated escape");
      char e = s.charAt(i++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          if (i + 4 > s.length()) throw error("short \\u escape");
          String hex = s.substring(i, i + 4);
          if (!hex.matches("[0-9a-fA-F]{4}")) throw error("malformed \\u escape");
          b.append((char) Integer.parseInt(hex, 16));
          i += 4;
        }
        default -> throw error("unknown escape");
      }
    }
  }

  private static final java.util.regex.Pattern NUMBER =
      java.util.regex.Pattern.compile("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?");

  private Num number() throws SyntaxError {
    java.util.regex.Matcher m = NUMBER.matcher(s).region(i, s.length());
    if (!m.lookingAt()) throw error("malformed number");
    i = m.end();
    return new Num(m.group());
  }

  // --- writer ---------------------------------------------------------------------------------------

  /** Minified JSON, written the way JavaScript's JSON.stringify writes the same value. */
  public static String write(Object v) {
    StringBuilder b = new StringBuilder();
    write(b, v);
    return b.toString();
  }

  private static void write(StringBuilder b, Object v) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String str) {
      writeString(b, str);
    } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
      b.append(v);
    } else if (v instanceof Num n) {
      b.append(n.text());
    } else if (v instanceof Map<?, ?> m) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) b.append(',');
        first = false;
        writeString(b, (String) e.getKey());
        b.append(':');
        write(b, e.getValue());
      }
      b.append('}');
    } else if (v instanceof List<?> list) {
      b.append('[');
      for (int k = 0; k < list.size(); k++) {
        if (k > 0) b.append(',');
        write(b, list.get(k));
      }
      b.append(']');
    } else {
      throw new IllegalArgumentException("not a JSON value: " + v.getClass());
    }
  }

  private static void writeString(StringBuilder b, String str) {
    b.append('"');
    for (int k = 0; k < str.length(); k++) {
      char c = str.charAt(k);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\b' -> b.append("\\b");
        case '\f' -> b.append("\\f");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          boolean lone = Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && k + 1 < str.length()
              && Character.isLowSurrogate(str.charAt(k + 1)))
              && !(Character.isLowSurrogate(c) && k > 0 && Character.isHighSurrogate(str.charAt(k - 1)));
          if (c < 0x20 || lone) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    b.append('"');
  }

  // --- typed access ---------------------------------------------------------------------------------

  /** The value as an object, or null when it is something else. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> obj(Object v) {
    return v instanceof Map<?, ?> ? (Map<String, Object>) v : null;
  }

  /** The value as an array, or null when it is something else. */
  @SuppressWarnings("unchecked")
  public static List<Object> list(Object v) {
    return v instanceof List<?> ? (List<Object>) v : null;
  }

  /** The member as a string, or null when absent or not a string. */
  public static String str(Map<String, Object> o, String name) {
    return o != null && o.get(name) instanceof String v ? v : null;
  }

  /** An object built from alternating names and values, in that order. */
  public static Map<String, Object> of(Object... pairs) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int k = 0; k < pairs.length; k += 2) out.put((String) pairs[k], pairs[k + 1]);
    return out;
  }
}
