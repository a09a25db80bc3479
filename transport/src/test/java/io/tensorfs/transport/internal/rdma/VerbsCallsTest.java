package io.tensorfs.transport.internal.rdma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.kenai.jffi.Function;
import com.kenai.jffi.Library;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The way {@link VerbsQueuePair} calls the verbs' inline functions (a function pointer called through
 * jffi, three native-word arguments, an int back), tried on C library functions of the same shapes,
 * since no device is here to call {@code post_send} or {@code poll_cq} on.
 */
class VerbsCallsTest {
  /** Keeps the strings' memory alive while the test runs. */
  private final ByteBuffer memory = ByteBuffer.allocateDirect(256);
  private final long base = new UnsafeBuffer(memory).addressOffset();
  private int used;

  static long libc(String symbol) {
    long address = Library.getDefault().getSymbolAddress(symbol);
    assertNotEquals(0, address, symbol);
    return address;
  }

  long cString(String s) {
    long at = base + used;
    memory.position(used).put(s.getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
    used = memory.position();
    return at;
  }

  @Test
  void shouldPassThreeWordsAndReadTheIntResultLikePostSend() {
    // int strncmp(const char *, const char *, size_t): words in, an int out, as post_send(qp, wr, &bad)
    Function strncmp = VerbsQueuePair.pointerPointerPointer(libc("strncmp"));
    assertEquals(0, VerbsQueuePair.call(strncmp, cString("verbs"), cString("verbs"), 5));
    assertTrue(VerbsQueuePair.call(strncmp, cString("a"), cString("b"), 1) < 0, "a negative int comes back whole");
  }

  @Test
  void shouldPassAnIntBetweenTwoPointersLikePollCq() {
    // void *memchr(const void *s, int c, size_t n) has its int where poll_cq(cq, num_entries, wc) has it;
    // the helper reads the result as an int, so compare the pointer's low 32 bits
    Function memchr = VerbsQueuePair.pointerIntPointer(libc("memchr"));
    long s = cString("abcdefgh");
    assertEquals((int) (s + 4), VerbsQueuePair.call(memchr, s, 'e', 8));
    assertEquals(0, VerbsQueuePair.call(memchr, s, 'z', 8), "not found: NULL");
  }
}
