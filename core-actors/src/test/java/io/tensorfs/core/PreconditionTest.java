package io.tensorfs.core;

import static io.tensorfs.core.Precondition.Outcome.HOLDS;
import static io.tensorfs.core.Precondition.Outcome.IF_MATCH_FAILED;
import static io.tensorfs.core.Precondition.Outcome.IF_NONE_MATCH_FAILED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class PreconditionTest {
  private static final OptionalLong ABSENT = OptionalLong.empty();
  private static final TfsPath PATH = TfsPath.parse("/t/f");

  private static Precondition ifMatch(String... tags) {
    return new Precondition(List.of(tags), List.of());
  }

  private static Precondition ifNoneMatch(String... tags) {
    return new Precondition(List.of(), List.of(tags));
  }

  @Test
  void shouldHoldAlwaysWhenUnconditional() {
    assertTrue(Precondition.NONE.unconditional());
    assertEquals(HOLDS, Precondition.NONE.evaluate(ABSENT));
    assertEquals(HOLDS, Precondition.NONE.evaluate(OptionalLong.of(3)));
  }

  @Test
  void shouldMatchOnlyTheCurrentVersionWhenIfMatchNamesTags() {
    assertEquals(HOLDS, ifMatch("1").evaluate(OptionalLong.of(1)));
    assertEquals(HOLDS, ifMatch("5", "1").evaluate(OptionalLong.of(1)));
    assertEquals(IF_MATCH_FAILED, ifMatch("7").evaluate(OptionalLong.of(1)));
    assertEquals(IF_MATCH_FAILED, ifMatch("01").evaluate(OptionalLong.of(1)), "tags compare character for character");
    assertEquals(IF_MATCH_FAILED, ifMatch("W/\"1\"").evaluate(OptionalLong.of(1)), "a weak tag never matches strongly");
    assertEquals(IF_MATCH_FAILED, ifMatch("1").evaluate(ABSENT));
  }

  @Test
  void shouldNeedAVersionWhenIfMatchIsAny() {
    assertEquals(HOLDS, ifMatch("*").evaluate(OptionalLong.of(9)));
    assertEquals(IF_MATCH_FAILED, ifMatch("*").evaluate(ABSENT));
  }

  @Test
  void shouldFailWhenIfNoneMatchNamesTheCurrentVersion() {
    assertEquals(IF_NONE_MATCH_FAILED, ifNoneMatch("3", "2").evaluate(OptionalLong.of(2)));
    assertEquals(HOLDS, ifNoneMatch("3").evaluate(OptionalLong.of(2)));
    assertEquals(HOLDS, ifNoneMatch("3").evaluate(ABSENT));
    assertEquals(IF_NONE_MATCH_FAILED, Precondition.CREATE_ONLY.evaluate(OptionalLong.of(1)));
    assertEquals(HOLDS, Precondition.CREATE_ONLY.evaluate(ABSENT));
  }

  @Test
  void shouldCheckIfMatchFirstWhenBothAreGiven() {
    var both = new Precondition(List.of("4"), List.of("5"));
    assertEquals(IF_MATCH_FAILED, both.evaluate(OptionalLong.of(5)));
    assertEquals(HOLDS, both.evaluate(OptionalLong.of(4)));
  }

  @Test
  void shouldNameTheCurrentVersionWhenItFails() {
    assertEquals("precondition failed: /t/f is at version 1, which does not match If-Match: \"7\"",
        ifMatch("7").failure(PATH, OptionalLong.of(1)).orElseThrow());
    assertEquals("precondition failed: /t/f does not exist, so nothing matches If-Match: *",
        ifMatch("*").failure(PATH, ABSENT).orElseThrow());
    assertEquals("precondition failed: /t/f already exists at version 2 (If-None-Match: *)",
        Precondition.CREATE_ONLY.failure(PATH, OptionalLong.of(2)).orElseThrow());
    assertEquals("precondition failed: /t/f is at version 2, which If-None-Match excludes: \"1\", \"2\"",
        ifNoneMatch("1", "2").failure(PATH, OptionalLong.of(2)).orElseThrow());
    assertTrue(ifMatch("2").failure(PATH, OptionalLong.of(2)).isEmpty());
  }

  @Test
  void shouldRejectWithBadRequestWhenAnyIsInAList() {
    assertEquals(ErrorCode.BAD_REQUEST, assertThrows(TfsException.class, () -> ifMatch("*", "1")).code());
    assertEquals(ErrorCode.BAD_REQUEST, assertThrows(TfsException.class, () -> ifNoneMatch("")).code());
  }
}
