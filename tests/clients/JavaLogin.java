// A Java client of an AVP server using only the JDK 17 standard library, as a Java developer would:
// java.net.http.HttpClient with its defaults (it offers "Upgrade: h2c" on a plain http:// URL) and
// the JCA's Ed25519. It logs in with a given identity and pulls a repository.
//
//   java tests/clients/JavaLogin.java URL SEED_B64 PUBLIC_KEY_B64 REPO_ID
//
// Prints one line per step ("<step> <status> <body>") and exits 0 only when every step was a 200.
// Driven by tests/server/test_java_client.py, which created the repository with that identity.

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class JavaLogin {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: java JavaLogin.java URL SEED_B64 PUBLIC_KEY_B64 REPO_ID");
            System.exit(2);
        }
        String base = args[0].replaceAll("/+$", "");
        byte[] seed = Base64.getDecoder().decode(args[1]);
        String publicKey = args[2];
        String repoId = args[3];

        String nonce = field(post(base, "/api/auth/keypair/challenge", "challenge",
                "{\"ed25519PublicKey\":\"" + publicKey + "\"}", null), "nonce");
        String signature = Base64.getEncoder().encodeToString(sign(seed, Base64.getDecoder().decode(nonce)));
        String token = field(post(base, "/api/auth/keypair/token", "token",
                "{\"ed25519PublicKey\":\"" + publicKey + "\",\"nonce\":\"" + nonce
                        + "\",\"signature\":\"" + signature + "\"}", null), "token");
        String path = "/v1/repos/" + URLEncoder.encode(repoId, StandardCharsets.UTF_8).replace("+", "%20") + "/pull";
        post(base, path, "pull", "{\"repoId\":\"" + repoId + "\",\"knownPayloadVersion\":0}", token);
    }

    private static byte[] sign(byte[] seed, byte[] message) throws Exception {
        PrivateKey key = KeyFactory.getInstance("Ed25519")
                .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(key);
        signer.update(message);
        return signer.sign();
    }

    private static String post(String base, String path, String step, String json, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        System.out.println(step + " " + response.statusCode() + " " + response.body());
        if (response.statusCode() != 200) {
            System.exit(1);
        }
        return response.body();
    }

    /** A string member of a flat JSON answer (the values we read are base64 or JWT text). */
    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " in " + json);
        }
        return m.group(1);
    }
}
