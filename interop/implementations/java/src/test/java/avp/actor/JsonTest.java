package avp.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
  @ParameterizedTest
  @ValueSource(strings = {"{\"a\":1,\"a\":2}", "{} {}", "[1,]", "{\"a\" 1}", "01", "1.", "\"\u0001\"", "\"\\x\"", "tru", "", "[", "NaN"})
  void refusesMalformedJson(String text) {
    assertThrows(Json.SyntaxError.class, () -> Json.parse(text));
  }

  @Test
  void refusesDeepNesting() {
    assertThrows(Json.SyntaxError.class, () -> Json.parse("[".repeat(Json.MAX_DEPTH + 2) + "]".repeat(Json.MAX_DEPTH + 2)));
  }

  @Test
  void numbersAndMemberOrderPassThroughVerbatim() throws Exception {
    String text = "{\"z\":9007199254740993,\"a\":1.50,\"m\":[-0,1e3,true,null],\"s\":\"\\u00e9\\n\\\"/\"}";
    assertEquals("{\"z\":9007199254740993,\"a\":1.50,\"m\":[-0,1e3,true,null],\"s\":\"é\\n\\\"/\"}", Json.write(Json.parse(text)));
  }

  @Test
  void counterReadsOnlySafeIntegerLiterals() throws Exception {
    assertEquals(9007199254740991L, Envelope.counter(new Json.Num("9007199254740991"), "n"));
    for (String bad : new String[] {"9007199254740992", "-1", "1.0", "1e3", "18446744073709551616"}) {
      assertEquals("counter_out_of_range", assertThrows(ClientError.class, () -> Envelope.counter(new Json.Num(bad), "n")).code);
    }
  }
}
