package io.tensorfs.store;

import static io.tensorfs.core.testing.Awaits.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.FileId;
import io.tensorfs.core.TfsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoresTest {
  @TempDir Path dir;

  @Test
  void shouldOpenOneStorePerDirectoryOnTheIoDispatcher() {
    Path a = dir.resolve("nvme0/tfs");
    Path b = dir.resolve("nvme1/tfs");
    ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
        "tensorfs.store.directories = [\"" + a + "\", \"" + b + "\"]\n"
            + "tensorfs.store.block-bytes = 4KiB\ntensorfs.store.write-buffer-bytes = 8KiB")
        .withFallback(ConfigFactory.load()));
    try {
      Stores stores = Stores.create(testKit.system());

      assertEquals(2, stores.all().size());
      assertEquals("d0", stores.all().get(0).id());
      assertEquals(b, stores.byId("d1").directory());
      assertSame(stores.all().get(1), stores.byId("d1"));
      assertTrue(Files.isDirectory(a) && Files.isDirectory(b));
      TfsException e = assertThrows(TfsException.class, () -> stores.byId("d7"));
      assertEquals(ErrorCode.NOT_FOUND, e.code());

      ChunkId chunk = new ChunkId(FileId.random(), 0);
      byte[] bytes = StoreTesting.randomBytes(10_000, 1);
      StoreTesting.write(stores.byId("d1"), chunk, bytes, 3000);
      assertEquals(10_000, await(stores.byId("d1").read(chunk, 0, 20_000)).size());
    } finally {
      testKit.shutdownTestKit();
    }
  }
}
