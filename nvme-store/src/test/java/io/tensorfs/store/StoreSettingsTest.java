package io.tensorfs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class StoreSettingsTest {
  private static StoreSettings parse(String overrides) {
    Config config = ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve();
    return StoreSettings.fromConfig(config);
  }

  @Test
  void shouldReadTheDefaultsOfReferenceConf() {
    StoreSettings s = StoreSettings.fromConfig(ConfigFactory.load());

    assertEquals(1, s.directories().size());
    assertTrue(s.directories().get(0).isAbsolute(), s.directories().toString());
    assertEquals(StoreSettings.defaults(s.directories()), s);
  }

  @Test
  void shouldReadEveryKeyWhenSet() {
    StoreSettings s = parse("""
        tensorfs.store {
          directories = ["/data/a", "/data/b"]
          block-bytes = 16KiB
          read-segment-bytes = 256KiB
          write-buffer-bytes = 2MiB
          direct-io = off
          reserved-bytes = 1GiB
          collect-retry = 250ms
          reconcile-parallelism = 4
        }""");

    assertEquals(new StoreSettings(List.of(Path.of("/data/a"), Path.of("/data/b")), 16 << 10, 256 << 10, 2 << 20,
        StoreSettings.DirectIo.OFF, 1L << 30, Duration.ofMillis(250), 4), s);
    assertEquals(StoreSettings.DirectIo.ON, parse("tensorfs.store.direct-io = on").directIo());
  }

  @Test
  void shouldRejectInvalidValues() {
    assertThrows(IllegalArgumentException.class, () -> parse("tensorfs.store.block-bytes = 3000"));
    assertThrows(IllegalArgumentException.class, () -> parse("tensorfs.store.block-bytes = 2KiB"));
    assertThrows(IllegalArgumentException.class, () -> parse("tensorfs.store.write-buffer-bytes = 100KiB"));
    assertThrows(IllegalArgumentException.class, () -> parse("tensorfs.store.direct-io = sometimes"));
    assertThrows(IllegalArgumentException.class, () -> parse("tensorfs.store.directories = []"));
    assertThrows(IllegalArgumentException.class, () -> parse("tensorfs.store.directories = [/a, /a]"));
  }
}
