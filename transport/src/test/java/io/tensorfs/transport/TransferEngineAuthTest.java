package io.tensorfs.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ChunkId;
import io.tensorfs.core.FileId;
import io.tensorfs.transport.internal.EngineSettings;
import io.tensorfs.transport.internal.Faults;
import io.tensorfs.transport.internal.FrameHandler;
import io.tensorfs.transport.internal.Frames;
import io.tensorfs.transport.internal.Link;
import io.tensorfs.transport.internal.SignedRequests;
import io.tensorfs.transport.internal.TransferEngine;
import io.tensorfs.transport.internal.Wire;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the transfer engine takes from a wire that authenticates nobody (Aeron): frames are handed to it
 * directly, as the wire would, and what reaches the chunk service is checked.
 */
class TransferEngineAuthTest {
  private static final ChunkId CHUNK = new ChunkId(new FileId("0123456789abcdef0123456789abcdef"), 4);
  private static ActorSystem<Void> system;

  private final byte[] key = filled(1);
  private final FakeChunkService service = new FakeChunkService(1024);
  private final RecordingWire wire = new RecordingWire();
  private final TransferEngine engine = new TransferEngine(wire, service, Materializer.matFromSystem(system),
      new EngineSettings(4L << 20, 1L << 20, TimeUnit.SECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(5), 100_000, TimeUnit.SECONDS.toNanos(60)),
      new Faults(), key);
  private final Frames.Writer writer = new Frames.Writer(new UnsafeBuffer(ByteBuffer.allocate(Frames.MAX_CONTROL_BYTES)));

  @BeforeAll
  static void start() {
    system = ActorSystem.create(Behaviors.empty(), "engine-auth-test");
  }

  @AfterAll
  static void stop() {
    ActorTestKit.shutdown(system, Duration.ofSeconds(10));
  }

  private static byte[] filled(int value) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) value);
    return k;
  }

  /** A wire whose links record what they are offered. */
  private static final class RecordingWire implements Wire {
    final List<String> linked = new ArrayList<>();

    @Override
    public String kind() {
      return "aeron-ipc";
    }

    @Override
    public String localEndpoint() {
      return "aeron-ipc://me/1";
    }

    @Override
    public int maxPayloadBytes(String endpoint) {
      return 64 * 1024;
    }

    @Override
    public Link link(String endpoint) {
      linked.add(endpoint);
      return new Link() {
        @Override
        public String endpoint() {
          return endpoint;
        }

        @Override
        public boolean offer(int stripe, DirectBuffer header, int headerLength, DirectBuffer payload, int payloadOffset, int payloadLength) {
          return true;
        }

        @Override
        public String failure(long nowNs) {
          return null;
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public int poll(FrameHandler handler, long nowNs) {
      return 0;
    }

    @Override
    public void close() {}
  }

  private Frames.Writer pushFields(long transferId) {
    return writer.begin(Frames.PUSH, Frames.FROM_REQUESTER, transferId).chunk(CHUNK).putLong(4096).putByte((byte) 1)
        .putString("aeron-ipc://pusher/2").putString("/tenant/f").putBytes(new byte[0]);
  }

  private Frames.Writer fetchFields(long transferId) {
    return writer.begin(Frames.FETCH, Frames.FROM_REQUESTER, transferId).chunk(CHUNK).putLong(0).putLong(4096).putLong(4L << 20)
        .putString("aeron-ipc://fetcher/3");
  }

  private void deliver(int length) {
    byte[] frame = new byte[length];
    writer.buffer().getBytes(0, frame);
    engine.onFrame(new UnsafeBuffer(frame), 0, length);
  }

  private static SignedRequests signer(byte[] key) {
    return new SignedRequests(key, 60_000, System::currentTimeMillis);
  }

  @Test
  void shouldStartAPushSignedWithTheClustersSecret() {
    deliver(signer(key).sign(pushFields(1)));
    assertEquals(1, service.pushes.size());
    assertEquals(CHUNK, service.pushes.get(0).chunk());
    assertEquals(0, engine.refusedRequests());
  }

  @Test
  void shouldRefuseAPushSignedWithAnotherSecretOrNotAtAll() {
    deliver(signer(filled(2)).sign(pushFields(1)));
    deliver(pushFields(2).end());
    assertEquals(2, engine.refusedRequests());
    assertTrue(service.pushes.isEmpty(), "the service was asked to store " + service.pushes);
    assertTrue(wire.linked.isEmpty(), "nothing is sent to the endpoint a refused request names: " + wire.linked);
  }

  @Test
  void shouldRefuseARequestReplayed() {
    int n = signer(key).sign(pushFields(1));
    byte[] frame = new byte[n];
    writer.buffer().getBytes(0, frame);
    engine.onFrame(new UnsafeBuffer(frame), 0, n);
    engine.onFrame(new UnsafeBuffer(frame), 0, n);
    assertEquals(1, service.pushes.size());
    assertEquals(1, engine.refusedRequests());
  }

  @Test
  void shouldRefuseAFetchSignedWithAnotherSecret() {
    service.held.put(CHUNK, 4096L);
    deliver(signer(filled(2)).sign(fetchFields(1)));
    assertEquals(1, engine.refusedRequests());
    assertTrue(wire.linked.isEmpty());
    assertEquals(0, service.emittedBytes.get());
  }

  @Test
  void shouldDropDataThatNoAcceptedRequestStarted() {
    UnsafeBuffer data = new UnsafeBuffer(new byte[Frames.DATA_HEADER_BYTES + 100]);
    Frames.dataHeader(data, Frames.FROM_REQUESTER, 77, Frames.fileHi(CHUNK.fileId()), Frames.fileLo(CHUNK.fileId()), CHUNK.index(), 0, 0, 100);
    engine.onFrame(data, 0, data.capacity());
    deliver(signer(filled(2)).sign(pushFields(78)));
    Frames.dataHeader(data, Frames.FROM_REQUESTER, 78, Frames.fileHi(CHUNK.fileId()), Frames.fileLo(CHUNK.fileId()), CHUNK.index(), 0, 0, 100);
    engine.onFrame(data, 0, data.capacity());
    assertEquals(2, engine.droppedFrames(), "data for no transfer, and data for a refused one");
    assertTrue(service.pushes.isEmpty());
    assertEquals(0, service.receivedBytes.get());
  }
}
