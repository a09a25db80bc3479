package io.tensorfs.sharding.replication;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.sharding.placement.StoreRoom;
import io.tensorfs.transport.Fetched;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import io.tensorfs.transport.Transport;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A read of a chunk from other nodes' replicas, spread over them segment by segment through
 * {@code Transport.fetchInto}: the bytes land exact at their place in the target, every replica serves its
 * share, a replica that fails mid-segment (its node died, a corrupt block) is taken over at exactly the byte it
 * reached, and the read fails only when some segment has no replica left.
 */
class RemoteReplicasTest {
  private static final int MIB = 1 << 20;
  private static final int SEGMENT = MIB;
  private static final int IN_FLIGHT = 4;
  private static final ChunkId CHUNK = new ChunkId(FileId.random(), 0);
  private static final ActorTestKit TEST_KIT = ActorTestKit.create();

  @AfterAll
  static void stop() {
    TEST_KIT.shutdownTestKit();
  }

  /**
   * Peers in memory serving one chunk through {@code fetchInto}: each fetch waits until the test serves it,
   * in the order asked, so a spread read runs the same way every time. A peer with a death offset fails with UNAVAILABLE once a fetch reaches that byte of the chunk and
   * every fetch after it (its node died); a peer with a corrupt block fails a fetch that reaches it with
   * CHECKSUM_MISMATCH, having written garbage there (the frame that failed its check), and serves the rest. A
   * fetch that starts past the chunk's end is refused with RANGE_NOT_SATISFIABLE, as the stores refuse it.
   */
  private static final class Wire implements Transport {
    final byte[] chunk;
    final Map<String, Long> diesAt = new HashMap<>();
    final Map<String, Long> corruptAt = new HashMap<>();
    final List<String> asked = new ArrayList<>();
    final Map<String, Long> served = new HashMap<>();
    final List<String> dead = new ArrayList<>();
    /** Fetches asked and not served yet. */
    final Deque<Runnable> pending = new ArrayDeque<>();
    /** Serves the fetch asked last first (replies overtaking each other), rather than in the order asked. */
    boolean lastFirst;
    int maxInFlight;

    Wire(byte[] chunk) {
      this.chunk = chunk;
    }

    @Override
    public String kind() {
      return "test";
    }

    @Override
    public String localEndpoint() {
      return "self";
    }

    @Override
    public Source<ByteString, NotUsed> fetch(String peer, ChunkId chunkId, long offset, long length) {
      throw new UnsupportedOperationException("a spread read goes through fetchInto");
    }

    @Override
    public synchronized CompletionStage<Fetched> fetchInto(String peer, ChunkId chunkId, long offset, ByteBuffer target) {
      asked.add(peer + "@" + offset);
      CompletableFuture<Fetched> done = new CompletableFuture<>();
      pending.add(() -> done.complete(serve(peer, offset, target.duplicate())));
      maxInFlight = Math.max(maxInFlight, pending.size());
      return done;
    }

    /**
     * Serves the fetches asked, in the order asked (or the reverse: {@link #lastFirst}), on this thread, until
     * {@code stage} completes; returns {@code stage}.
     */
    <T> CompletionStage<T> serving(CompletionStage<T> stage) {
      long until = System.nanoTime() + Awaits.TIMEOUT.toNanos();
      CompletableFuture<T> f = stage.toCompletableFuture();
      while (!f.isDone() && System.nanoTime() < until) {
        Runnable next;
        synchronized (this) {
          next = lastFirst ? pending.pollLast() : pending.poll();
        }
        if (next != null) {
          next.run();
        } else {
          Thread.onSpinWait(); // a stream's next read is on its way from another thread
        }
      }
      return stage;
    }

    synchronized int waiting() {
      return pending.size();
    }

    private Fetched serve(String peer, long offset, ByteBuffer into) {
      if (offset > chunk.length) { // as the stores answer a read that starts past the end
        return new Fetched(0, new TfsException(ErrorCode.RANGE_NOT_SATISFIABLE, "range " + offset + " outside chunk"));
      }
      long end = Math.max(offset, Math.min(chunk.length, offset + into.remaining()));
      long dies;
      synchronized (this) {
        dies = dead.contains(peer) ? offset : Math.max(offset, diesAt.getOrDefault(peer, Long.MAX_VALUE));
      }
      long corrupt = corruptAt.getOrDefault(peer, Long.MAX_VALUE);
      boolean corruptHere = corrupt >= offset && corrupt < end;
      long stop = Math.min(end, Math.min(dies, corruptHere ? corrupt : Long.MAX_VALUE));
      int n = (int) (stop - offset);
      if (n > 0) into.duplicate().put(chunk, (int) offset, n);
      synchronized (this) {
        served.merge(peer, (long) n, Long::sum);
      }
      if (stop >= end) return new Fetched(n, null);
      if (stop == dies) {
        synchronized (this) {
          if (!dead.contains(peer)) dead.add(peer);
        }
        return new Fetched(n, new TfsException(ErrorCode.UNAVAILABLE, peer + " is gone"));
      }
      ByteBuffer garbage = into.duplicate();
      garbage.position(garbage.position() + n);
      for (int i = 0; i < 4096 && garbage.hasRemaining(); i++) garbage.put((byte) 0x5a); // the frame that failed
      return new Fetched(n, new TfsException(ErrorCode.CHECKSUM_MISMATCH, peer + " has a bad block at " + corrupt));
    }

    @Override
    public Sink<ByteString, CompletionStage<PushAck>> push(String peer, PushRequest request) {
      throw new UnsupportedOperationException("reads only");
    }

    @Override
    public void close() {}

    synchronized boolean askedAfter(String peer, long offset) {
      return asked.stream().anyMatch(a -> a.startsWith(peer + "@") && Long.parseLong(a.substring(a.indexOf('@') + 1)) > offset);
    }
  }

  /** A spread over {@code nodes} in that order, for a reader whose peers are exactly those. */
  private static RemoteReplicas replicas(Wire wire, String... nodes) {
    List<ReplicaLocation> locations = new ArrayList<>();
    for (String n : nodes) locations.add(new ReplicaLocation(n, "d0"));
    return new RemoteReplicas(locations, peers(wire, nodes));
  }

  /** A reader's view of {@code nodes}, reached through {@code wire}. */
  private static Peers peers(Wire wire, String... nodes) {
    Peers peers = new Peers("reader", new RemoteReadSettings(SEGMENT, IN_FLIGHT));
    peers.connect(wire);
    Map<String, Peers.PeerInfo> live = new HashMap<>();
    for (String n : nodes) live.put(n, new Peers.PeerInfo(n, n, List.of(new StoreRoom("d0", Long.MAX_VALUE)), false));
    peers.update(live);
    return peers;
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    new Random(5).nextBytes(b);
    return b;
  }

  /** A direct buffer (as the cache's pages are) of {@code room} bytes after a margin, positioned at the margin. */
  private static ByteBuffer page(int margin, int room) {
    ByteBuffer b = ByteBuffer.allocateDirect(margin + room);
    b.position(margin);
    return b;
  }

  private static byte[] read(ByteBuffer page, int from, int n) {
    byte[] out = new byte[n];
    page.duplicate().position(from).get(out);
    return out;
  }

  @Test
  void shouldSpreadTheSegmentsOverBothReplicasAndLandEveryByteInPlace() {
    byte[] chunk = bytes(16 * MIB);
    Wire wire = new Wire(chunk);
    ByteBuffer page = page(4096, 8 * MIB);

    int n = await(wire.serving(replicas(wire, "node-b", "node-c").readInto(CHUNK, 4 * MIB, page)));

    assertEquals(8 * MIB, n);
    assertEquals(4096 + 8 * MIB, page.position(), "the target's position moves past the bytes read");
    assertArrayEquals(Arrays.copyOfRange(chunk, 4 * MIB, 12 * MIB), read(page, 4096, 8 * MIB));
    assertEquals(Map.of("node-b", 4L * MIB, "node-c", 4L * MIB), wire.served, "each of two holders serves half");
    assertTrue(wire.maxInFlight > 1, "segments are fetched at once: " + wire.maxInFlight);
    assertTrue(wire.maxInFlight <= IN_FLIGHT, "at most in-flight at once: " + wire.maxInFlight);
    assertEquals(8, wire.asked.size(), "one fetch per segment: " + wire.asked);
  }

  @Test
  void shouldSpreadOverTheInMemoryHoldersOnlyAndReadANodeListedTwiceOnce() {
    byte[] chunk = bytes(8 * MIB);
    Wire wire = new Wire(chunk);
    Peers peers = peers(wire, "node-b", "node-c", "node-d");
    List<ReplicaLocation> listed = List.of(new ReplicaLocation("node-b", "memory"), new ReplicaLocation("node-c", "memory"),
        new ReplicaLocation("node-b", "d0"), new ReplicaLocation("node-d", "d0"));
    RemoteReplicas remote = new RemoteReplicas(listed, 2, peers);
    assertEquals(List.of("node-b", "node-c", "node-d"), remote.replicas().stream().map(ReplicaLocation::node).toList());

    assertEquals(chunk.length, await(wire.serving(remote.readInto(CHUNK, 0, page(0, chunk.length)))));
    assertEquals(Map.of("node-b", 4L * MIB, "node-c", 4L * MIB), wire.served, "node-d only takes over");

    wire.served.clear();
    wire.diesAt.put("node-c", 3L * MIB + 5);
    ByteBuffer page = page(0, chunk.length);
    assertEquals(chunk.length, await(wire.serving(remote.readInto(CHUNK, 0, page))));
    assertArrayEquals(chunk, read(page, 0, chunk.length));
    assertTrue(wire.asked.contains("node-b@" + (3L * MIB + 5)), "the other in-memory holder takes over: " + wire.asked);
    assertFalse(wire.served.containsKey("node-d"), "while one in memory serves, the disk replica is not asked: " + wire.served);
  }

  @Test
  void shouldGoOnFromTheNextReplicaAtTheByteReachedWhenOneDiesMidSegment() {
    byte[] chunk = bytes(10 * MIB + 77);
    long diesAt = 2L * MIB + 512 * 1024 + 7; // inside the third segment, node-b's
    Wire wire = new Wire(chunk);
    wire.diesAt.put("node-b", diesAt);
    ByteBuffer page = page(0, chunk.length);

    int n = await(wire.serving(replicas(wire, "node-b", "node-c").readInto(CHUNK, 0, page)));

    assertEquals(chunk.length, n);
    assertArrayEquals(chunk, read(page, 0, chunk.length));
    assertTrue(wire.asked.contains("node-c@" + diesAt), "node-c goes on where node-b stopped: " + wire.asked);
    assertTrue(wire.served.get("node-b") >= MIB + 512 * 1024 + 7, "node-b served until it died: " + wire.served);
    assertFalse(wire.askedAfter("node-b", 4L * MIB), "a failed replica gets no later segment: " + wire.asked);
  }

  @Test
  void shouldReadACorruptReplicasRangeFromTheOthersAndNeverItsBadBytes() {
    byte[] chunk = bytes(8 * MIB);
    long bad = MIB + 8192; // inside the second segment: node-c's first, by turn
    Wire wire = new Wire(chunk);
    wire.corruptAt.put("node-c", bad);
    ByteBuffer page = page(512, chunk.length);

    int n = await(wire.serving(replicas(wire, "node-b", "node-c", "node-d").readInto(CHUNK, 0, page)));

    assertEquals(chunk.length, n);
    assertArrayEquals(chunk, read(page, 512, chunk.length), "the garbage of the bad frame was fetched again");
    assertTrue(wire.asked.contains("node-d@" + bad), "the next replica takes over at the bad block: " + wire.asked);
    assertTrue(wire.served.getOrDefault("node-b", 0L) > 0 && wire.served.getOrDefault("node-d", 0L) > 0, wire.served.toString());
  }

  @Test
  void shouldServeASegmentFromAReplicaThatFailedAnotherWhenNoOtherIsLeft() {
    byte[] chunk = bytes(6 * MIB);
    Wire wire = new Wire(chunk);
    wire.corruptAt.put("node-b", MIB / 2L); // bad in the first segment
    wire.corruptAt.put("node-c", 5L * MIB + 100); // bad in the last segment
    ByteBuffer page = page(0, chunk.length);

    int n = await(wire.serving(replicas(wire, "node-b", "node-c").readInto(CHUNK, 0, page)));

    assertEquals(chunk.length, n, "each segment had a replica that served it");
    assertArrayEquals(chunk, read(page, 0, chunk.length));
  }

  @Test
  void shouldFailWithTheLastFailureOnlyOnceNoFetchWritesAnyMoreWhenEveryReplicaFails() {
    byte[] chunk = bytes(8 * MIB);
    Wire wire = new Wire(chunk);
    wire.diesAt.put("node-b", (long) MIB + 10);
    wire.diesAt.put("node-c", 2L * MIB);

    CompletionStage<Integer> read = replicas(wire, "node-b", "node-c").readInto(CHUNK, 0, page(0, chunk.length));
    Throwable failure = Awaits.failure(wire.serving(read));

    assertEquals(ErrorCode.UNAVAILABLE, TfsException.codeOf(failure));
    assertEquals(0, wire.waiting(), "the read ends after its last fetch");
  }

  @Test
  void shouldStopAtTheChunksEndWhenTheTargetHasMoreRoom() {
    byte[] chunk = bytes(5 * MIB + 3);
    Wire wire = new Wire(chunk);
    wire.lastFirst = true; // the segments past the end are answered before the one where the chunk ends
    ByteBuffer page = page(0, 4 * MIB); // the chunk's last page: room for 4 MiB, 1 MiB + 3 left in the chunk

    int n = await(wire.serving(replicas(wire, "node-b", "node-c").readInto(CHUNK, 4 * MIB, page)));

    assertEquals(MIB + 3, n);
    assertEquals(MIB + 3, page.position());
    assertArrayEquals(Arrays.copyOfRange(chunk, 4 * MIB, chunk.length), read(page, 0, MIB + 3));
    assertEquals(0, await(wire.serving(replicas(wire, "node-b").readInto(CHUNK, chunk.length, page(0, MIB)))),
        "nothing past the end");
  }

  @Test
  void shouldReadThroughReadAndSourceTheSameBytes() {
    byte[] chunk = bytes(9 * MIB + 5);
    Wire wire = new Wire(chunk);
    wire.diesAt.put("node-c", 6L * MIB + 3);
    RemoteReplicas remote = replicas(wire, "node-b", "node-c");

    ByteString some = await(wire.serving(remote.read(CHUNK, 100, 3 * MIB)));
    assertArrayEquals(Arrays.copyOfRange(chunk, 100, 100 + 3 * MIB), some.toArray());
    ByteString all = await(wire.serving(remote.source(CHUNK, 0, chunk.length).runWith(Sink.fold(
        ByteString.emptyByteString(), ByteString::concat), Materializer.matFromSystem(TEST_KIT.system()))));
    assertArrayEquals(chunk, all.toArray());
  }

  @Test
  void shouldServeOneNodesFetchesInTheOrderAskedWithAtMostPerNodeInFlightOverAllReads() {
    byte[] chunk = bytes(8 * MIB);
    Wire wire = new Wire(chunk);
    Peers peers = new Peers("reader", new RemoteReadSettings(SEGMENT, IN_FLIGHT, 2, false));
    peers.connect(wire);
    peers.update(Map.of("node-b", new Peers.PeerInfo("node-b", "node-b", List.of(new StoreRoom("d0", Long.MAX_VALUE)), false)));
    RemoteReplicas remote = new RemoteReplicas(List.of(new ReplicaLocation("node-b", "d0")), peers);
    ByteBuffer first = page(0, 4 * MIB);
    ByteBuffer second = page(0, 4 * MIB);

    // Two reads at once (two pages of a read-ahead), each wanting 4 segments in flight: 8 fetches wanted.
    CompletionStage<Integer> a = remote.readInto(CHUNK, 0, first);
    CompletionStage<Integer> b = remote.readInto(CHUNK, 4 * MIB, second);
    assertEquals(2, wire.waiting(), "only per-node fetches go out to node-b at once: " + wire.asked);
    assertEquals(6, peers.windows().waiting("node-b"), "the rest wait their turn");

    assertEquals(4 * MIB, await(wire.serving(a)));
    assertEquals(4 * MIB, await(wire.serving(b)));
    assertArrayEquals(Arrays.copyOfRange(chunk, 0, 4 * MIB), read(first, 0, 4 * MIB));
    assertArrayEquals(Arrays.copyOfRange(chunk, 4 * MIB, 8 * MIB), read(second, 0, 4 * MIB));
    assertEquals(2, wire.maxInFlight, "never more than per-node in flight to one node");
    List<String> inOrder = new ArrayList<>();
    for (int i = 0; i < 8; i++) inOrder.add("node-b@" + (long) i * MIB);
    assertEquals(inOrder, wire.asked, "the first read's segments are all served before the second's");
    assertEquals(0, peers.windows().waiting("node-b"));
  }

  @Test
  void shouldStartSuccessiveChunksAtSuccessiveHoldersSoAFilesChunksAreServedByAllOfThem() {
    byte[] chunk = bytes(4 * MIB);
    Wire wire = new Wire(chunk);
    Peers peers = new Peers("reader", new RemoteReadSettings(4 * MIB, 1, 4, true));
    peers.connect(wire);
    Map<String, Peers.PeerInfo> live = new HashMap<>();
    for (String n : List.of("node-b", "node-c", "node-d")) {
      live.put(n, new Peers.PeerInfo(n, n, List.of(new StoreRoom("d0", Long.MAX_VALUE)), false));
    }
    peers.update(live);
    RemoteReplicas remote = new RemoteReplicas(List.of(new ReplicaLocation("node-b", "d0"),
        new ReplicaLocation("node-c", "d0"), new ReplicaLocation("node-d", "d0")), peers);
    for (int index = 0; index < 6; index++) {
      ByteBuffer page = page(0, 4 * MIB);
      assertEquals(4 * MIB, await(wire.serving(remote.readInto(new ChunkId(CHUNK.fileId(), index), 0, page))));
      assertArrayEquals(chunk, read(page, 0, 4 * MIB));
    }
    assertEquals(List.of("node-b@0", "node-c@0", "node-d@0", "node-b@0", "node-c@0", "node-d@0"), wire.asked,
        "chunk i is served by holder i mod 3, one holder per page");
  }

}
