package avp.actor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * The Java client actor of the interop runner (docs/actor-contract.md): JSON requests on stdin, one
 * JSON reply per line on stdout, strictly in order; diagnostics go to stderr only. JDK only.
 */
public final class Main {
  static final String VERSION = "0.1.0";

  private static final Map<String, BiFunction<Session, Map<String, Object>, Object>> OPS = new TreeMap<>();

  static {
    OPS.put("hello", (s, a) -> hello());
    OPS.put("identity", Session::setIdentity);
    OPS.put("authenticate", Session::authenticate);
    OPS.put("create_repo", Session::createRepo);
    OPS.put("pull", Session::pull);
    OPS.put("push", Session::push);
    OPS.put("update", Session::update);
    OPS.put("add_member", Session::addMember);
    OPS.put("remove_member", Session::removeMember);
    OPS.put("fetch_member", Session::fetchMember);
    OPS.put("key_binding", Session::keyBinding);
    OPS.put("locator", Session::locator);
    OPS.put("join", Session::join);
    OPS.put("open_envelope", Session::openEnvelope);
    OPS.put("verify_vectors", (s, a) -> Json.of("files", Vectors.verifyDir(Session.argString(a, "dir"))));
  }

  private Main() {}

  static Map<String, Object> hello() {
    List<String> names = new ArrayList<>(OPS.keySet());
    names.add("shutdown");
    Collections.sort(names);
    return Json.of("name", "avp-actor-java", "language", "java", "version", VERSION, "ops", names);
  }

  private static Map<String, Object> error(String code, String message, Integer status) {
    return Json.of("code", code, "message", message, "status", status);
  }

  private static Map<String, Object> failure(Object id, Map<String, Object> error) {
    return Json.of("id", id, "ok", false, "error", error);
  }

  /** Answers one request line on {@code out}; false after shutdown. */
  static boolean answer(Session session, String line, PrintStream out) {
    Map<String, Object> req;
    try {
      req = Json.obj(Json.parse(line));
    } catch (Json.SyntaxError e) {
      req = null;
    }
    if (req == null) {
      out.println(Json.write(failure(null, error("bad_request", "request is not a JSON object", null))));
      return true;
    }
    Object id = req.get("id");
    Object op = req.get("op");
    if ("shutdown".equals(op)) {
      out.println(Json.write(Json.of("id", id, "ok", true, "result", Map.of())));
      return false;
    }
    BiFunction<Session, Map<String, Object>, Object> handler = op instanceof String name ? OPS.get(name) : null;
    if (handler == null) {
      out.println(Json.write(failure(id, error("unsupported", "op " + op + " is not implemented", null))));
      return true;
    }
    Map<String, Object> args = Json.obj(req.get("args"));
    try {
      Object result = handler.apply(session, args == null ? Map.of() : args);
      out.println(Json.write(Json.of("id", id, "ok", true, "result", result)));
    } catch (ClientError e) {
      out.println(Json.write(failure(id, error(e.code, e.getMessage(), e.status))));
    } catch (RuntimeException e) {
      e.printStackTrace(System.err);
      out.println(Json.write(failure(id, error("avp_error", String.valueOf(e), null))));
    }
    return true;
  }

  static void serve(BufferedReader in, PrintStream out) throws IOException {
    Session session = new Session();
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (!line.isBlank() && !answer(session, line, out)) return;
    }
  }

  public static void main(String[] args) throws IOException {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), out);
    out.flush();
    System.exit(0);
  }
}
