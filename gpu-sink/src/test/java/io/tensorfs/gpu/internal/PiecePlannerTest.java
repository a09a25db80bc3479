package io.tensorfs.gpu.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PiecePlannerTest {

  private static ByteBuffer buffer(int capacity, int position, int limit) {
    return ByteBuffer.allocate(capacity).limit(limit).position(position);
  }

  @Test
  void shouldCutOneBufferIntoFullPiecesAndARestWhenLargerThanAPiece() {
    List<Piece> pieces = PiecePlanner.plan(List.of(buffer(25, 0, 25)), 100, 10, 4, 0);
    assertEquals(List.of(
        new Piece(0, 0, 0, 100, 10),
        new Piece(1, 0, 10, 110, 10),
        new Piece(2, 0, 20, 120, 5)), pieces);
  }

  @Test
  void shouldStartAtTheBufferPositionAndStopAtItsLimitWhenPositioned() {
    List<Piece> pieces = PiecePlanner.plan(List.of(buffer(100, 37, 60)), 0, 16, 2, 0);
    assertEquals(List.of(
        new Piece(0, 0, 37, 0, 16),
        new Piece(1, 0, 53, 16, 7)), pieces);
  }

  @Test
  void shouldNeverSpanTwoBuffersWhenTheyAreUneven() {
    List<ByteBuffer> buffers = List.of(buffer(7, 2, 7), buffer(30, 0, 23), buffer(4, 1, 4));
    List<Piece> pieces = PiecePlanner.plan(buffers, 1000, 10, 3, 0);
    assertEquals(List.of(
        new Piece(0, 0, 2, 1000, 5),
        new Piece(1, 1, 0, 1005, 10),
        new Piece(2, 1, 10, 1015, 10),
        new Piece(0, 1, 20, 1025, 3),
        new Piece(1, 2, 1, 1028, 3)), pieces);
  }

  @Test
  void shouldSkipEmptyBuffersAndPlanNothingWhenNoBytesRemain() {
    assertEquals(List.of(), PiecePlanner.plan(List.of(buffer(8, 8, 8), buffer(0, 0, 0)), 0, 4, 2, 0));
    assertEquals(List.of(), PiecePlanner.plan(List.of(), 0, 4, 2, 0));
    List<Piece> pieces = PiecePlanner.plan(List.of(buffer(8, 8, 8), buffer(3, 0, 3)), 5, 4, 2, 1);
    assertEquals(List.of(new Piece(1, 1, 0, 5, 3)), pieces);
  }

  @Test
  void shouldRotateStreamsFromTheFirstStreamWhenGiven() {
    List<Piece> pieces = PiecePlanner.plan(List.of(buffer(40, 0, 40)), 0, 8, 4, 3);
    assertEquals(List.of(3, 0, 1, 2, 3), pieces.stream().map(Piece::stream).toList());
    List<Piece> wrapped = PiecePlanner.plan(List.of(buffer(16, 0, 16)), 0, 8, 4, -1);
    assertEquals(List.of(3, 0), wrapped.stream().map(Piece::stream).toList());
  }

  @Test
  void shouldUseOneStreamForEveryPieceWhenThereIsOne() {
    List<Piece> pieces = PiecePlanner.plan(List.of(buffer(30, 0, 30), buffer(9, 0, 9)), 0, 8, 1, 0);
    assertTrue(pieces.stream().allMatch(p -> p.stream() == 0));
    assertEquals(6, pieces.size());
  }

  @Test
  void shouldLeaveTheBuffersUntouchedWhenPlanning() {
    ByteBuffer b = buffer(50, 5, 45);
    PiecePlanner.plan(List.of(b), 0, 8, 2, 0);
    assertEquals(5, b.position());
    assertEquals(45, b.limit());
  }

  @Test
  void shouldRejectNonsenseParametersWhenPlanning() {
    List<ByteBuffer> one = List.of(buffer(4, 0, 4));
    assertThrows(IllegalArgumentException.class, () -> PiecePlanner.plan(one, 0, 0, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> PiecePlanner.plan(one, 0, 8, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> PiecePlanner.plan(one, -1, 8, 1, 0));
  }

  /** Plays the plan as copies into a device array: the result must be the buffers' bytes end to end. */
  @Test
  void shouldMoveExactlyTheRemainingBytesInOrderWhenBuffersAreRandom() {
    Random random = new Random(42);
    for (int round = 0; round < 300; round++) {
      int count = 1 + random.nextInt(6);
      List<ByteBuffer> buffers = new ArrayList<>();
      ByteBuffer expected = ByteBuffer.allocate(count * 200);
      for (int i = 0; i < count; i++) {
        int capacity = random.nextInt(200);
        byte[] content = new byte[capacity];
        random.nextBytes(content);
        int position = capacity == 0 ? 0 : random.nextInt(capacity + 1);
        int limit = position + (capacity - position == 0 ? 0 : random.nextInt(capacity - position + 1));
        ByteBuffer b = ByteBuffer.wrap(content).limit(limit).position(position);
        buffers.add(b);
        expected.put(b.duplicate());
      }
      long pieceBytes = 1 + random.nextInt(64);
      int streams = 1 + random.nextInt(8);
      int first = random.nextInt(streams);
      long deviceOffset = random.nextInt(1000);
      List<Piece> pieces = PiecePlanner.plan(buffers, deviceOffset, pieceBytes, streams, first);

      byte[] device = new byte[(int) deviceOffset + expected.position()];
      long nextDevice = deviceOffset;
      for (int i = 0; i < pieces.size(); i++) {
        Piece p = pieces.get(i);
        assertEquals((first + i) % streams, p.stream(), "round robin");
        assertEquals(nextDevice, p.deviceOffset(), "device order without gaps");
        assertTrue(p.bytes() > 0 && p.bytes() <= pieceBytes, "piece size");
        ByteBuffer b = buffers.get(p.buffer());
        assertTrue(p.hostOffset() >= b.position() && p.hostOffset() + p.bytes() <= b.limit(), "inside one buffer");
        System.arraycopy(b.array(), (int) p.hostOffset(), device, (int) p.deviceOffset(), (int) p.bytes());
        nextDevice += p.bytes();
      }
      assertEquals(PiecePlanner.totalBytes(buffers), nextDevice - deviceOffset);
      byte[] want = new byte[expected.position()];
      expected.flip().get(want);
      byte[] got = new byte[want.length];
      System.arraycopy(device, (int) deviceOffset, got, 0, got.length);
      assertArrayEquals(want, got, "round " + round);
    }
  }
}
