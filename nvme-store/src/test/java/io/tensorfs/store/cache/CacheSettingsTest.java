package io.tensorfs.store.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.tensorfs.core.memory.PagePoolSettings;
import io.tensorfs.core.memory.PagePoolSettings.HugePages;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CacheSettingsTest {
  private static Config with(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  @Test
  void shouldReadReferenceDefaults() {
    CacheSettings s = CacheSettings.fromConfig(ConfigFactory.defaultReference().resolve());
    assertEquals(1L << 30, s.capacityBytes());
    assertEquals(4 << 20, s.pageBytes());
    assertEquals(HugePages.AUTO, s.hugePages());
    assertEquals(Path.of("/dev/hugepages"), s.hugetlbfsDir());
    assertTrue(s.preTouch());
    assertEquals(2, s.flushParallelism());
    assertEquals(Duration.ofSeconds(1), s.flushRetry());
    assertEquals(new PagePoolSettings(1L << 30, 4 << 20, HugePages.AUTO, Path.of("/dev/hugepages"), true),
        s.poolSettings());
  }

  @Test
  void shouldRoundCapacityToWholePagesAndParseHugePages() {
    CacheSettings s = CacheSettings.fromConfig(with(
        "tensorfs.cache { capacity = 10 MiB, page-size = 4 MiB, hugepages = transparent, pre-touch = off }"));
    assertEquals(8L << 20, s.capacityBytes());
    assertEquals(HugePages.TRANSPARENT, s.hugePages());
    assertEquals(HugePages.OFF, CacheSettings.fromConfig(with("tensorfs.cache.hugepages = off")).hugePages());
  }

  @Test
  void shouldRejectBadValuesWithTheSectionNamed() {
    for (String bad : new String[] {
        "tensorfs.cache.page-size = 1 MiB",
        "tensorfs.cache.page-size = 6 MiB",
        "tensorfs.cache.page-size = 128 MiB",
        "tensorfs.cache.capacity = 0",
        "tensorfs.cache.hugepages = maybe",
        "tensorfs.cache.flush-parallelism = 0",
        "tensorfs.cache.flush-retry = 0s"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> CacheSettings.fromConfig(with(bad)), bad);
      assertTrue(e.getMessage().startsWith("tensorfs.cache"), e.getMessage());
    }
  }
}
