package avp.actor;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The client's HTTP transport (java.net.http with its defaults): JSON in, JSON out, every failure a
 * ClientError with the server's code (or one derived from the status) and the HTTP status.
 */
public final class Transport {
  private static final Map<Integer, String> BY_STATUS = Map.of(
      400, "bad_request", 401, "unauthorized", 403, "forbidden", 404, "not_found",
      405, "method_not_allowed", 409, "conflict", 413, "too_large", 429, "quota_exceeded");

  private final HttpClient http = HttpClient.newHttpClient();

  /** Sends {@code body} (null: none) to url and returns the answer's JSON object. */
  public Map<String, Object> request(String method, String url, Object body, String token) {
    String what = method + " " + url;
    HttpResponse<String> res;
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).header("Accept", "application/json");
      if (token != null) b.header("Authorization", "Bearer " + token);
      if (body == null) {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        b.header("Content-Type", "application/json");
        b.method(method, HttpRequest.BodyPublishers.ofString(Json.write(body), StandardCharsets.UTF_8));
      }
      res = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException | IllegalArgumentException e) {
      throw new ClientError("transport_error", what + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientError("transport_error", what + ": interrupted");
    }
    Map<String, Object> doc;
    try {
      doc = Json.obj(Json.parse(res.body()));
    } catch (Json.SyntaxError e) {
      doc = null;
    }
    int status = res.statusCode();
    if (status >= 200 && status < 300) {
      if (doc == null) throw new ClientError("protocol_error", what + ": the answer is not a JSON object", status);
      return doc;
    }
    String code = Json.str(doc, "code");
    if (code == null) code = BY_STATUS.getOrDefault(status, status >= 500 ? "server_error" : "protocol_error");
    String message = Json.str(doc, "error");
    throw new ClientError(code, what + ": " + (message == null ? "HTTP " + status : message), status);
  }

  /** Percent-encodes everything outside RFC 3986's unreserved set ('+', '/', '=' included). */
  public static String escapeSegment(String s) {
    StringBuilder b = new StringBuilder();
    for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) b.append((char) c);
      else b.append(String.format("%%%02X", c & 0xff));
    }
    return b.toString();
  }

  public static String repoPath(String repoId) {
    return "/v1/repos/" + escapeSegment(repoId);
  }
}
