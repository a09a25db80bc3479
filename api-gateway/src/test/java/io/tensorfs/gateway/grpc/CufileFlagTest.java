package io.tensorfs.gateway.grpc;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.GpuBuffer;
import io.tensorfs.client.BatchSession;
import io.tensorfs.client.Sges;
import io.tensorfs.client.TfsClient;
import io.tensorfs.gateway.grpc.v1.Completion;
import io.tensorfs.gateway.grpc.v1.Flag;
import io.tensorfs.gateway.grpc.v1.Op;
import io.tensorfs.gateway.grpc.v1.Sge;
import io.tensorfs.gateway.grpc.v1.Status;
import io.tensorfs.gpu.DeviceFileReads;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * preadv with FLAG_CUFILE through the gRPC endpoint: the flag's checks, the answer of a node without cuFile,
 * and, with cuFile simulated over the fake GPUs (each read copies the replica file's bytes into fake GPU
 * memory), that every chunk is read from its replica file on this node's disk into the right place.
 */
class CufileFlagTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int CHUNK = 4 << 20;

  @TempDir
  static Path storeDir;

  private static final FakeGpus gpus = new FakeGpus();
  private static final Set<Path> filesRead = ConcurrentHashMap.newKeySet();
  private static volatile boolean cufileThere = true;
  private static GrpcTestNode node;
  private static TfsClient client;

  /** cuFile simulated: the file's bytes into the fake GPU memory of the target. */
  private static final DeviceFileReads FAKE_CUFILE = new DeviceFileReads() {
    @Override
    public boolean available() {
      return cufileThere;
    }

    @Override
    public String describe() {
      return cufileThere ? "fake cuFile" : "libcufile not found in this test";
    }

    @Override
    public CompletionStage<Long> readFile(Path file, long fileOffset, GpuBuffer target) {
      return CompletableFuture.supplyAsync(() -> {
        filesRead.add(file);
        ByteBuffer bytes = ByteBuffer.allocate((int) target.length());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
          while (bytes.hasRemaining() && ch.read(bytes, fileOffset + bytes.position()) > 0) {
            // until full or the end of the file
          }
        } catch (java.io.IOException e) {
          throw new TfsException(ErrorCode.IO_ERROR, e.toString());
        }
        System.arraycopy(bytes.array(), 0, gpus.memoryOf(target.ipcHandle()), (int) target.offset(), bytes.position());
        return (long) bytes.position();
      });
    }
  };

  @BeforeAll
  static void start() throws Exception {
    node = GrpcTestNode.start(storeDir, gpus, FAKE_CUFILE, (path, op) -> CompletableFuture.completedFuture("ok"), "");
    client = TfsClient.connect("127.0.0.1", node.port());
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) await(client.close());
    if (node != null) node.close();
  }

  private static byte[] put(String path, int n, long seed) throws Exception {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    await(client.write(path, "", b));
    return b;
  }

  private static Completion run(long offset, String path, Sge... sges) throws Exception {
    BatchSession batch = client.openBatch();
    batch.submit(io.tensorfs.gateway.grpc.v1.Submission.newBuilder().setId(1).setOp(Op.PREADV).setPath(path)
        .setOffset(offset).setFlags(Flag.FLAG_CUFILE_VALUE).addAllSges(List.of(sges)).build());
    List<Completion> done = await(batch.collect(1, WAIT));
    await(batch.close());
    return done.get(0);
  }

  @Test
  void shouldReadEveryChunkFromItsReplicaFileIntoGpuMemoryWhenFlagCufile() throws Exception {
    int size = 2 * CHUNK + 12_345;
    byte[] file = put("/t/cufile.bin", size, 1);
    byte[] a = gpus.allocate(CHUNK);
    byte[] b = gpus.allocate(2 * CHUNK);
    filesRead.clear();
    long offset = 1_000;
    Completion c = run(offset, "/t/cufile.bin", Sges.gpu(a, 0, 100, CHUNK - 100), Sges.gpu(b, 0, 0, 2 * CHUNK));

    assertEquals(Status.OK, c.getStatus(), c.getMessage());
    long expected = size - offset;
    assertEquals(expected, c.getValue());
    assertArrayEquals(Arrays.copyOfRange(file, 1_000, 1_000 + CHUNK - 100),
        Arrays.copyOfRange(gpus.memoryOf(a), 100, CHUNK));
    int rest = (int) (expected - (CHUNK - 100));
    assertArrayEquals(Arrays.copyOfRange(file, 1_000 + CHUNK - 100, size), Arrays.copyOfRange(gpus.memoryOf(b), 0, rest));
    assertEquals(3, filesRead.size(), "one replica file per chunk: " + filesRead);
    for (Path p : filesRead) {
      assertTrue(p.startsWith(storeDir) && p.getFileName().toString().endsWith(".data"), p.toString());
    }
  }

  @Test
  void shouldRefuseHostElementsWithBadRequestWhenFlagCufile() throws Exception {
    put("/t/cufile-host.bin", 1000, 2);
    Completion c = run(0, "/t/cufile-host.bin", Sges.gpu(gpus.allocate(100), 0, 0, 100), Sges.host("seg", 0, 100));
    assertEquals(Status.BAD_REQUEST, c.getStatus());
    assertTrue(c.getMessage().contains("FLAG_CUFILE reads only into GPU memory"), c.getMessage());
  }

  @Test
  void shouldCompleteUnavailableWithTheReasonWhenTheNodeHasNoCufile() throws Exception {
    put("/t/cufile-none.bin", 1000, 3);
    cufileThere = false;
    try {
      Completion c = run(0, "/t/cufile-none.bin", Sges.gpu(gpus.allocate(1000), 0, 0, 1000));
      assertEquals(Status.UNAVAILABLE, c.getStatus());
      assertTrue(c.getMessage().contains("cuFile reads are unavailable") && c.getMessage().contains("libcufile not found"),
          c.getMessage());
    } finally {
      cufileThere = true;
    }
  }
}
