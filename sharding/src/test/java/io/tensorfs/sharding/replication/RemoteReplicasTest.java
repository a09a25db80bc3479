package io.tensorfs.sharding.replication;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.placement.StoreRoom;
import io.tensorfs.core.testing.Awaits;
import io.tensorfs.transport.PushAck;
import io.tensorfs.transport.PushRequest;
import io.tensorfs.transport.Transport;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * A read of a chunk from other nodes' replicas whose first replica fails part way: the read goes on
 * from the next replica at exactly the offset reached, and the bytes come out whole.
 */
class RemoteReplicasTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create();
  private static final int MIB = 1 << 20;
  private static final ChunkId CHUNK = new ChunkId(FileId.random(), 0);

  @AfterAll
  static void stop() {
    TEST_KIT.shutdownTestKit();
  }

  /**
   * Peers in memory: each serves the chunk's bytes in 256 KiB frames; a peer with a cut-off fails with
   * UNAVAILABLE (its node "died") once it has sent the bytes up to that offset of the chunk.
   */
  private static final class Wire implements Transport {
    final byte[] chunk;
    final Map<String, Long> cutOff;
    final List<String> asked = new ArrayList<>();

    Wire(byte[] chunk, Map<String, Long> cutOff) {
      this.chunk = chunk;
      this.cutOff = cutOff;
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
    public synchronized Source<ByteString, NotUsed> fetch(String peer, ChunkId chunkId, long offset, long length) {
      asked.add(peer + "@" + offset);
      long end = Math.min(chunk.length, offset + length);
      long dies = cutOff.getOrDefault(peer, Long.MAX_VALUE);
      List<ByteString> frames = new ArrayList<>();
      for (long at = offset; at < Math.min(end, dies); at += 256 * 1024) {
        frames.add(ByteString.fromArray(chunk, (int) at, (int) (Math.min(Math.min(end, dies), at + 256 * 1024) - at)));
      }
      Source<ByteString, NotUsed> sent = Source.from(frames);
      return dies < end
          ? sent.concat(Source.<ByteString, NotUsed>lazySource(
              () -> Source.<ByteString>failed(new TfsException(ErrorCode.UNAVAILABLE, peer + " is gone"))))
          : sent;
    }

    @Override
    public synchronized CompletionStage<io.tensorfs.transport.Fetched> fetchInto(String peer, ChunkId chunkId,
        long offset, java.nio.ByteBuffer target) {
      asked.add(peer + "@" + offset);
      long end = Math.min(chunk.length, offset + target.remaining());
      long dies = cutOff.getOrDefault(peer, Long.MAX_VALUE);
      int n = (int) (Math.min(end, dies) - offset);
      target.duplicate().put(chunk, (int) offset, n);
      return java.util.concurrent.CompletableFuture.completedFuture(new io.tensorfs.transport.Fetched(n,
          dies < end ? new TfsException(ErrorCode.UNAVAILABLE, peer + " is gone") : null));
    }

    @Override
    public Sink<ByteString, CompletionStage<PushAck>> push(String peer, PushRequest request) {
      throw new UnsupportedOperationException("reads only");
    }

    @Override
    public void close() {}
  }

  private static RemoteReplicas replicas(Wire wire, String... nodes) {
    Peers peers = new Peers("reader");
    peers.connect(wire);
    Map<String, Peers.PeerInfo> live = new java.util.HashMap<>();
    List<ReplicaLocation> locations = new ArrayList<>();
    for (String n : nodes) {
      live.put(n, new Peers.PeerInfo(n, n, List.of(new StoreRoom("d0", Long.MAX_VALUE)), false));
      locations.add(new ReplicaLocation(n, "d0"));
    }
    peers.update(live);
    return new RemoteReplicas(locations, peers, Materializer.matFromSystem(TEST_KIT.system()));
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    new Random(5).nextBytes(b);
    return b;
  }

  @Test
  void shouldResumeFromTheNextReplicaAtTheOffsetReachedWhenOneFailsMidChunk() throws Exception {
    byte[] chunk = bytes(10 * MIB + 77);
    long diesAt = 3 * MIB + 512 * 1024;
    Wire wire = new Wire(chunk, Map.of("node-b", diesAt));
    ByteBuffer into = ByteBuffer.allocate(chunk.length);

    int n = await(replicas(wire, "node-b", "node-c").readInto(CHUNK, 0, into));

    assertEquals(chunk.length, n);
    assertArrayEquals(chunk, into.array());
    assertEquals(List.of("node-b@0", "node-c@" + diesAt), wire.asked, "node-c asked from where node-b stopped");
  }

  @Test
  void shouldResumeAcrossTwoFailures() throws Exception {
    byte[] chunk = bytes(12 * MIB);
    Wire wire = new Wire(chunk, Map.of("node-b", 5L * MIB + 4096, "node-c", 9L * MIB));
    ByteBuffer into = ByteBuffer.allocate(chunk.length);

    await(replicas(wire, "node-b", "node-c", "node-d").readInto(CHUNK, 0, into));

    assertArrayEquals(chunk, into.array());
    assertEquals(List.of("node-b@0", "node-c@" + (5L * MIB + 4096), "node-d@" + 9L * MIB), wire.asked,
        "each replica takes over at the last byte of the one before");
  }

  @Test
  void shouldFailWithTheLastReplicasErrorWhenEveryReplicaFails() {
    byte[] chunk = bytes(2 * MIB);
    Wire wire = new Wire(chunk, Map.of("node-b", (long) MIB, "node-c", (long) MIB + 10));

    Throwable failure = Awaits.failure(replicas(wire, "node-b", "node-c")
        .readInto(CHUNK, 0, ByteBuffer.allocate(chunk.length)));

    assertEquals(ErrorCode.UNAVAILABLE, TfsException.codeOf(failure));
    assertEquals(List.of("node-b@0", "node-c@" + MIB), wire.asked);
  }
}
