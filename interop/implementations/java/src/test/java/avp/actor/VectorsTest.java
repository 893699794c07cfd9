package avp.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorsTest {
  static final Path VECTORS = Path.of("../../../vectors");

  static Map<String, Object> read(Path path) throws IOException, Json.SyntaxError {
    return Json.obj(Json.parse(Files.readString(path, StandardCharsets.UTF_8)));
  }

  @Test
  void everyFilePassesWithTheAnnouncedCount() throws Exception {
    Map<String, Object> reports = Vectors.verifyDir(VECTORS.toString());
    for (Object raw : Json.list(read(VECTORS.resolve("index.json")).get("vectors"))) {
      Map<String, Object> entry = Json.obj(raw);
      Map<String, Object> r = Json.obj(reports.get(Json.str(entry, "file")));
      assertEquals(entry.get("cases").toString(), "Num[text=" + r.get("checked") + "]", entry.get("file") + ": " + r);
      assertEquals(0, r.get("failed"), entry.get("file") + ": " + r.get("failures"));
      assertEquals(0, r.get("skipped"));
    }
  }

  /** A copy of the vectors with one stated value changed in case 0 of a file must fail exactly that case. */
  @Test
  void mutatedVectorsFail(@TempDir Path dir) throws Exception {
    Map<String, Consumer<Map<String, Object>>> mutations = new HashMap<>();
    mutations.put("aad.json", c -> c.put("expectedAadHex", ((String) c.get("expectedAadHex")).replaceFirst("1f", "1e")));
    mutations.put("ed25519-policy.json", c -> c.put("verdict", "accept".equals(c.get("verdict")) ? "reject" : "accept"));
    mutations.put("negative.json", c -> c.put("expectedError", "invalid_key"));
    mutations.put("key-wrap.json", c -> c.put("kekHex", "00".repeat(32)));
    mutations.put("payload-aead.json", c -> c.put("tamperEpoch", c.get("keyEpoch")));
    mutations.put("identity.json", c -> c.put("secret", "x" + c.get("secret"))); // caught only by recomputing Argon2id
    mutations.put("challenge.json", c -> c.put("verdict", "reject"));
    // One space the canonical writer never produces.
    mutations.put("payload-parse.json", c -> c.put("canonicalUtf8", ((String) c.get("canonicalUtf8")).replaceFirst(":", ": ")));
    try (var files = Files.list(VECTORS)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) Files.copy(p, dir.resolve(p.getFileName()));
    }
    for (var m : mutations.entrySet()) {
      Map<String, Object> doc = read(dir.resolve(m.getKey()));
      m.getValue().accept(Json.obj(Json.list(doc.get("cases")).get(0)));
      Files.writeString(dir.resolve(m.getKey()), Json.write(doc), StandardCharsets.UTF_8);
    }
    Map<String, Object> reports = Vectors.verifyDir(dir.toString());
    for (String file : mutations.keySet()) {
      Map<String, Object> r = Json.obj(reports.get(file));
      assertEquals(1, r.get("failed"), file + ": " + r.get("failures"));
    }
  }

  /** The JCA's Ed25519 alone against the policy verdicts (the finding of vectors/README.md). */
  @Test
  void stockEd25519AgainstThePolicy() throws Exception {
    List<Object> cases = Json.list(read(VECTORS.resolve("ed25519-policy.json")).get("cases"));
    int stock = 0;
    int policy = 0;
    int cctv = 0;
    int cctvStock = 0;
    int cctvPolicy = 0;
    StringBuilder looser = new StringBuilder();
    for (Object raw : cases) {
      Map<String, Object> c = Json.obj(raw);
      var hex = java.util.HexFormat.of();
      boolean s = Ed25519Strict.stockVerify(hex.parseHex((String) c.get("publicKeyHex")), hex.parseHex((String) c.get("messageHex")),
          hex.parseHex((String) c.get("signatureHex")));
      boolean p = "accept".equals(c.get("verdict"));
      boolean isCctv = ((String) c.get("name")).startsWith("cctv/");
      stock += s ? 1 : 0;
      policy += p ? 1 : 0;
      if (isCctv) {
        cctv++;
        cctvStock += s ? 1 : 0;
        cctvPolicy += p ? 1 : 0;
      }
      assertTrue(s || !p, c.get("name") + ": the policy accepts what the JCA rejects");
      if (s && !p) looser.append(' ').append(c.get("name"));
    }
    System.err.printf("JCA Ed25519 accepts %d of %d policy cases (policy: %d); CCTV: %d of %d (policy: %d); accepted against the policy:%s%n",
        stock, cases.size(), policy, cctvStock, cctv, cctvPolicy, looser);
    assertTrue(looser.length() > 0, "the JCA agrees with the policy everywhere: the strict checks would be dead code");
  }
}
