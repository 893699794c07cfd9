package avp.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MainTest {
  @Test
  void speaksTheActorContract() throws Exception {
    String input = String.join("\n",
        "{\"id\":1,\"op\":\"hello\",\"args\":{}}",
        "not json",
        "{\"id\":2,\"op\":\"teleport\",\"args\":{}}",
        "{\"id\":3,\"op\":\"identity\",\"args\":{\"ed25519SeedB64\":\"AAAA\"}}",
        "{\"id\":4,\"op\":\"identity\",\"args\":{\"ed25519SeedB64\":\"ec6BmEMGZNNskxkg2ScxcgS0A0yxJCqjdxmYpw8cQA0=\"}}",
        "{\"id\":5,\"op\":\"shutdown\",\"args\":{}}",
        "{\"id\":6,\"op\":\"hello\",\"args\":{}}") + "\n";
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Main.serve(new BufferedReader(new StringReader(input)), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    List<Map<String, Object>> replies = new ArrayList<>();
    for (String line : bytes.toString(StandardCharsets.UTF_8).split("\n")) replies.add(Json.obj(Json.parse(line)));
    assertEquals(6, replies.size(), "no reply after shutdown");
    Map<String, Object> hello = Json.obj(replies.get(0).get("result"));
    assertEquals("java", hello.get("language"));
    assertEquals(16, Json.list(hello.get("ops")).size());
    String[] codes = {"bad_request", "unsupported", "invalid_key"};
    for (int k = 0; k < codes.length; k++) assertEquals(codes[k], Json.obj(replies.get(k + 1).get("error")).get("code"));
    // The transcript's alice: her public key is stated in vectors/transcript.json.
    Map<String, Object> alice = Json.obj(Json.obj(VectorsTest.read(VectorsTest.VECTORS.resolve("transcript.json")).get("actors")).get("alice"));
    assertEquals(alice.get("ed25519PublicKey"), Json.obj(replies.get(4).get("result")).get("ed25519PublicKey"));
    assertEquals(new Json.Num("5"), replies.get(5).get("id"));
    assertEquals(Boolean.TRUE, replies.get(5).get("ok"));
  }
}
