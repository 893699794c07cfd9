package avp.actor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The verifying client's checks on writes signed here by the transcript's actors (the byte-exact
 * signing is pinned by vectors/signed-writes.json, checked through verify_vectors).
 */
class SignedWritesTest {
  /** A served state that can be changed field by field. */
  static final class Draft {
    long version = 2;
    long epoch = 0;
    List<Object> members;
    List<Object> previous;
    boolean marked;
    Map<Long, byte[]> held = new HashMap<>();

    SignedWrites.Served served() {
      return new SignedWrites.Served("r", version, epoch, members, previous, marked, held);
    }
  }

  @Test
  void refusesEveryForgery() throws Exception {
    Map<String, Object> actors = Json.obj(VectorsTest.read(VectorsTest.VECTORS.resolve("transcript.json")).get("actors"));
    var keys = new HashMap<String, java.security.KeyPair>();
    var member = new HashMap<String, Object>();
    for (String name : List.of("alice", "bob", "carol")) {
      Map<String, Object> a = Json.obj(actors.get(name));
      keys.put(name, Keys.pair(true, B64.decodeStd(Json.str(a, "ed25519SeedB64"), 32)));
      member.put(name, Json.of("ed25519PublicKey", a.get("ed25519PublicKey"), "x25519PublicKey", a.get("x25519PublicKey")));
    }
    List<Object> alice = List.of(member.get("alice"));
    byte[] body = "{\"alts\":[],\"payloadVersion\":2}".getBytes(StandardCharsets.UTF_8);
    byte[] genesis = new byte[32];
    var signed = SignedWrites.sign(keys.get("alice"), "r", 2, 0, body, alice, genesis);
    byte[] plaintext = signed.plaintext();
    java.util.function.Supplier<Draft> draft = () -> {
      Draft d = new Draft();
      d.members = alice;
      d.previous = alice;
      return d;
    };
    assertArrayEquals(body, SignedWrites.checkServed(draft.get().served(), plaintext));
    assertArrayEquals(body, SignedWrites.checkServed(draft.get().served(), body), "unsigned, never seen signed");

    byte[] tampered = plaintext.clone();
    tampered[tampered.length - 2]++; // the body's payloadVersion digit
    byte[] bySomeoneElse = SignedWrites.sign(keys.get("bob"), "r", 2, 0, body, alice, genesis).plaintext();
    record Forgery(Consumer<Draft> change, byte[] plaintext, String code) {}
    Map<String, Forgery> forgeries = new LinkedHashMap<>();
    forgeries.put("body changed", new Forgery(d -> {}, tampered, "write_unauthenticated"));
    forgeries.put("served as version 3", new Forgery(d -> d.version = 3, plaintext, "write_unauthenticated"));
    forgeries.put("served at epoch 1", new Forgery(d -> d.epoch = 1, plaintext, "write_unauthenticated"));
    forgeries.put("record cut short", new Forgery(d -> {}, Arrays.copyOf(plaintext, 200), "write_unauthenticated"));
    forgeries.put("member injected", new Forgery(d -> d.members = List.of(member.get("alice"), member.get("carol")), plaintext, "roster_unauthenticated"));
    forgeries.put("writer not a member", new Forgery(d -> {}, bySomeoneElse, "write_unauthenticated"));
    forgeries.put("another state held", new Forgery(d -> d.held.put(2L, genesis), plaintext, "fork_detected"));
    forgeries.put("another previous held", new Forgery(d -> d.held.put(1L, Vectors.sha256(signed.transcript())), plaintext, "fork_detected"));
    forgeries.put("unsigned, marked", new Forgery(d -> d.marked = true, body, "downgrade_detected"));
    forgeries.put("unsigned, seen signed", new Forgery(d -> d.held.put(1L, genesis), body, "downgrade_detected"));
    for (var f : forgeries.entrySet()) {
      Draft d = draft.get();
      f.getValue().change().accept(d);
      var error = assertThrows(ClientError.class, () -> SignedWrites.checkServed(d.served(), f.getValue().plaintext()), f.getKey());
      assertEquals(f.getValue().code(), error.code, f.getKey());
    }
  }
}
