package avp.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PayloadTest {
  static Map<String, Object> payloadCase(String name) throws Exception {
    for (Object raw : Json.list(VectorsTest.read(VectorsTest.VECTORS.resolve("payload-parse.json")).get("cases"))) {
      if (name.equals(Json.obj(raw).get("name"))) return Json.obj(raw);
    }
    throw new AssertionError("no case " + name);
  }

  /** Each stated value of a payload-parse case is checked: changing one fails the case. */
  @Test
  void mutatedCasesFail() throws Exception {
    Map<String, Consumer<Map<String, Object>>> mutations = Map.of(
        "accept/every-field", c -> c.put("strippedUtf8", c.get("canonicalUtf8")),
        "accept/minimal", c -> c.put("altCount", c.get("payloadVersion")),
        "reject/counter/last-used-2^53", c -> c.put("expectedError", "invalid_encoding"),
        "reject/type/uuid-number", c -> c.put("verdict", "accept"));
    for (var m : mutations.entrySet()) {
      Map<String, Object> c = payloadCase(m.getKey());
      Vectors.checkPayloadParse(c);
      m.getValue().accept(c);
      assertThrows(RuntimeException.class, () -> Vectors.checkPayloadParse(c), m.getKey());
    }
  }

  static final String ALT = "{\"uuid\":\"u\",\"username\":\"n\",\"accessToken\":\"a\",\"type\":\"COOKIE\",\"lastUsed\":0";

  static String payload(String extra) {
    return "{\"alts\":[" + ALT + extra + "}],\"payloadVersion\":1}";
  }

  /** The reader's edges beyond the file: surrogate escapes in keys and values, depth of objects. */
  @ParameterizedTest
  @ValueSource(strings = {",\"x\":\"\\ud800\\u0041\"", ",\"x\":\"\\udc00\"", ",\"\\ud800\":1", ",\"x\":1,}"})
  void refusesMalformedAlts(String extra) {
    byte[] text = payload(extra).getBytes(StandardCharsets.UTF_8);
    assertEquals("invalid_encoding", assertThrows(ClientError.class, () -> Payload.canonical(text, true)).code);
  }

  @Test
  void depthCountsObjectsFromThePayload() {
    // payload (1), alts (2), alt (3), then objects 4..32 are allowed; one more is refused.
    String ok = payload(",\"x\":" + "{\"a\":".repeat(29) + "1" + "}".repeat(29));
    String deep = payload(",\"x\":" + "{\"a\":".repeat(30) + "1" + "}".repeat(30));
    assertTrue(Payload.canonical(ok.getBytes(StandardCharsets.UTF_8), true).json().startsWith("{\"alts\":[{\"x\":{\"a\":{"));
    assertThrows(ClientError.class, () -> Payload.canonical(deep.getBytes(StandardCharsets.UTF_8), true));
  }
}
