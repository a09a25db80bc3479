package io.tensorfs.sharding;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.Policy;
import io.tensorfs.core.Precondition;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.core.testing.Awaits;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ShardedMetadata#statForRead} over a one-node cluster whose messages are serialized as between
 * nodes: reads are answered from the node's version cache, and a replace or delete takes the old version
 * out of it before it is acknowledged.
 */
class ReadLeaseMetadataTest {
  private static ActorTestKit testKit;
  private static ShardedMetadata metadata;
  private static VersionCache cache;

  @BeforeAll
  static void startCluster() {
    testKit = ActorTestKit.create("leases", ConfigFactory.parseString("tensorfs.sharding.read-lease = 1m")
        .withFallback(ShardedMetadataTest.clusterConfig()));
    metadata = ShardedMetadataTest.joinAlone(testKit);
    cache = NodeVersions.get(testKit.system()).cache();
  }

  @AfterAll
  static void stopCluster() {
    testKit.shutdownTestKit();
  }

  private static FileVersion write(TfsPath path, long size) {
    FileId id = await(metadata.beginUpload(path, Policy.PERSISTENT, 1000, Precondition.NONE));
    return await(metadata.seal(path, id, size, List.of(new FileVersion.ChunkInfo(size, 7)), 7, Precondition.NONE))
        .current();
  }

  @Test
  void shouldAnswerFromTheCacheUntilReplacedThenTheNewVersion() {
    TfsPath path = TfsPath.parse("/t/leases/replaced.bin");
    FileVersion v1 = write(path, 10);
    assertEquals(v1, await(metadata.statForRead(path)));
    long hits = cache.hits();

    assertEquals(v1, await(metadata.statForRead(path)));
    assertEquals(hits + 1, cache.hits(), "the second read asks no entity");

    FileVersion v2 = write(path, 20);
    long invalidations = cache.invalidations();
    assertEquals(v2, await(metadata.statForRead(path)), "right after the replace is acknowledged");
    assertEquals(v2, await(metadata.statForRead(path)));
    assertEquals(invalidations, cache.invalidations(), "the invalidation came before the acknowledgement");
  }

  @Test
  void shouldAnswerNotFoundRightAfterDelete() {
    TfsPath path = TfsPath.parse("/t/leases/deleted.bin");
    FileVersion v1 = write(path, 10);
    assertEquals(v1, await(metadata.statForRead(path)));
    assertEquals(v1, await(metadata.statForRead(path)));

    await(metadata.delete(path, Precondition.NONE));

    var failure = assertInstanceOf(TfsException.class, Awaits.failure(metadata.statForRead(path)));
    assertEquals(ErrorCode.NOT_FOUND, failure.code());
    FileVersion again = write(path, 30);
    assertEquals(again, await(metadata.statForRead(path)), "NOT_FOUND was not kept");
  }
}
