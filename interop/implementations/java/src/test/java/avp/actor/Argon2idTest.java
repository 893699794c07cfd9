package avp.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Argon2idTest {
  private static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }

  /** RFC 7693 Appendix A: BLAKE2b-512("abc"). */
  @Test
  void blake2bMatchesRfc7693() {
    assertEquals("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
        HexFormat.of().formatHex(Argon2id.blake2b("abc".getBytes(StandardCharsets.US_ASCII), 64)));
  }

  /** RFC 9106 §5.3: Argon2id with secret and associated data, 32 KiB, 3 passes, 4 lanes. */
  @Test
  void argon2idMatchesRfc9106() {
    byte[] tag = Argon2id.derive(filled(32, 1), filled(16, 2), 32, 3, 4, 32, filled(8, 3), filled(12, 4));
    assertEquals("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659", HexFormat.of().formatHex(tag));
  }
}
