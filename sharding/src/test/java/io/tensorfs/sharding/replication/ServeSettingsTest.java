package io.tensorfs.sharding.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** {@code tensorfs.sharding.serve} read from configuration: the shipped values, and a clear error for bad ones. */
class ServeSettingsTest {
  private static ServeSettings with(String overrides) {
    Config config = ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference());
    return ServeSettings.from(config);
  }

  @Test
  void shouldReadTheShippedValuesAsTheDefaultsForServicesBuiltWithoutAConfig() {
    assertEquals(ServeSettings.DEFAULTS, with(""));
    assertEquals(new ServeSettings(4 << 20, 1, 1), ServeSettings.DEFAULTS);
  }

  @Test
  void shouldRefuseReadsPerStoreBelowOneNamingTheSetting() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> with("tensorfs.sharding.serve.reads-per-store = 0"));
    assertTrue(e.getMessage().contains("tensorfs.sharding.serve.reads-per-store"), e.getMessage());
    assertEquals(2, with("tensorfs.sharding.serve.reads-per-store = 2").readsPerStore());
  }

  @Test
  void shouldRefuseASegmentThatIsNotWholeBlocks() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> with("tensorfs.sharding.serve.segment-bytes = 5000"));
    assertTrue(e.getMessage().contains("multiple of 4 KiB"), e.getMessage());
  }
}
