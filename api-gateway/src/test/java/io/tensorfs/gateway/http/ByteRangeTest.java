package io.tensorfs.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;

class ByteRangeTest {
  private static final long SIZE = 1000;

  @Test
  void shouldSelectInclusiveSliceWhenFirstAndLastGiven() {
    assertEquals(new ByteRange.Slice(0, 499), ByteRange.parse("bytes=0-499", SIZE));
    assertEquals(new ByteRange.Slice(500, 999), ByteRange.parse("bytes=500-999", SIZE));
    assertEquals(new ByteRange.Slice(10, 10), ByteRange.parse("bytes=10-10", SIZE));
    assertEquals(new ByteRange.Slice(900, 999), ByteRange.parse("bytes=900-5000", SIZE), "last clamped");
    assertEquals(new ByteRange.Slice(1, 2), ByteRange.parse(" Bytes = 1 - 2 ", SIZE), "whitespace, unit case");
  }

  @Test
  void shouldSelectToTheEndWhenOnlyFirstGiven() {
    assertEquals(new ByteRange.Slice(990, 999), ByteRange.parse("bytes=990-", SIZE));
    assertEquals(new ByteRange.Slice(0, 999), ByteRange.parse("bytes=0-", SIZE));
  }

  @Test
  void shouldSelectTheTailWhenSuffixGiven() {
    assertEquals(new ByteRange.Slice(900, 999), ByteRange.parse("bytes=-100", SIZE));
    assertEquals(new ByteRange.Slice(0, 999), ByteRange.parse("bytes=-5000", SIZE), "longer than the file");
  }

  @Test
  void shouldBeUnsatisfiableWhenNothingIsSelected() {
    assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.parse("bytes=1000-", SIZE));
    assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.parse("bytes=1000-2000", SIZE));
    assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.parse("bytes=-0", SIZE));
    assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.parse("bytes=0-", 0));
    assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.parse("bytes=99999999999999999999-", SIZE));
  }

  @Test
  void shouldIgnoreTheHeaderWhenMalformedOrMultiple() {
    for (String h : new String[] {null, "", "bytes=", "bytes=-", "bytes=5-1", "items=0-1", "bytes=a-b",
        "bytes=0-1,5-6"}) {
      assertInstanceOf(ByteRange.Whole.class, ByteRange.parse(h, SIZE), String.valueOf(h));
    }
  }

  @Test
  void shouldRenderContentRangeWhenSliced() {
    assertEquals("bytes 0-499/1000", new ByteRange.Slice(0, 499).contentRange(SIZE));
  }
}
