package io.tensorfs.sharding.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TokenTextTest {
  private final SecureRandom random = new SecureRandom();

  @Test
  void shouldWriteTheContractFormat() {
    TokenText t = TokenText.generate(random);
    String text = t.text();
    assertTrue(text.matches("tfs_[0-9a-f]{12}_[A-Za-z0-9_-]{43}"), text);
    assertEquals(32, Base64.getUrlDecoder().decode(t.secret()).length);
    assertEquals(t, TokenText.parse(text).orElseThrow());
  }

  @Test
  void shouldRefuseTextsThatAreNotTokens() {
    String good = TokenText.generate(random).text();
    for (String bad : new String[] {null, "", "tfs_", good + "A", good.substring(1), "xfs" + good.substring(3),
        good.replace("tfs_", "tfs-"), "tfs_0123456789AB_" + good.substring(17), good.substring(0, 16) + "-" + good.substring(17),
        good.substring(0, 20) + "=" + good.substring(21), "Bearer " + good}) {
      assertTrue(TokenText.parse(bad).isEmpty(), String.valueOf(bad));
    }
  }

  @Test
  void shouldKeepOnlyTheHashAndMatchOnlyTheSecret() {
    TokenText t = TokenText.generate(random);
    String hash = t.secretHash();
    assertTrue(hash.matches("[0-9a-f]{64}"));
    assertFalse(hash.contains(t.secret()));
    assertTrue(t.matches(hash));
    TokenText sameIdOtherSecret = new TokenText(t.id(), TokenText.generate(random).secret());
    assertFalse(sameIdOtherSecret.matches(hash));
    assertNotEquals(t.id(), TokenText.generate(random).id());
    assertFalse(t.toString().contains(t.secret()), "toString keeps the secret out of logs");
  }

  @Test
  void shouldTakeTheTokenOfABearerHeaderOnly() {
    assertEquals("abc", Tokens.bearerToken("Bearer abc"));
    assertEquals("abc", Tokens.bearerToken("bearer  abc "));
    assertEquals("", Tokens.bearerToken("Basic dXNlcjpwdw=="));
    assertEquals(null, Tokens.bearerToken(null));
  }
}
