package io.tensorfs.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class GpuSettingsTest {
  private static Config with(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve();
  }

  @Test
  void shouldReadTheReferenceDefaultsWhenNothingIsOverridden() {
    GpuSettings s = GpuSettings.fromConfig(ConfigFactory.load());
    assertEquals(GpuSettings.defaults(), s);
    assertEquals(GpuSettings.Enabled.AUTO, s.enabled());
    assertEquals(4, s.streams());
    assertEquals(8L << 20, s.copyPieceBytes());
    assertEquals(64, s.ipcCacheEntries());
    assertTrue(s.registerHostMemory());
    assertEquals(false, s.cufile());
    assertEquals("", s.cufileLibrary());
  }

  @Test
  void shouldDefineThePinnedSinkDispatcherWhenLoaded() {
    assertEquals("PinnedDispatcher", ConfigFactory.load().getString(GpuSettings.SINK_DISPATCHER + ".type"));
  }

  @Test
  void shouldParseEveryKeyWhenOverridden() {
    GpuSettings s = GpuSettings.fromConfig(with("""
        tensorfs.gpu { enabled = on, streams = 8, copy-piece-bytes = 2 MiB, ipc-cache-entries = 3,
                       register-host-memory = off, cufile = on, cufile-library = " /opt/libcufile.so.0 " }"""));
    assertEquals(new GpuSettings(GpuSettings.Enabled.ON, 8, 2L << 20, 3, false, true, "/opt/libcufile.so.0"), s);
  }

  @Test
  void shouldAcceptEveryEnabledSpellingWhenParsing() {
    assertEquals(GpuSettings.Enabled.AUTO, GpuSettings.parseEnabled(" Auto "));
    assertEquals(GpuSettings.Enabled.ON, GpuSettings.parseEnabled("true"));
    assertEquals(GpuSettings.Enabled.OFF, GpuSettings.parseEnabled("OFF"));
    assertEquals(GpuSettings.Enabled.OFF, GpuSettings.parseEnabled("no"));
  }

  @Test
  void shouldRejectAnUnknownEnabledValueWhenParsing() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GpuSettings.fromConfig(with("tensorfs.gpu.enabled = maybe")));
    assertTrue(e.getMessage().contains("maybe"), e.getMessage());
  }

  @Test
  void shouldRejectOutOfRangeValuesWhenValidating() {
    GpuSettings d = GpuSettings.defaults();
    assertThrows(IllegalArgumentException.class, () -> d.withStreams(0));
    assertThrows(IllegalArgumentException.class, () -> d.withStreams(GpuSettings.MAX_STREAMS + 1));
    assertThrows(IllegalArgumentException.class, () -> d.withCopyPieceBytes(1024));
    assertThrows(IllegalArgumentException.class, () -> d.withCopyPieceBytes((1L << 30) + 1));
    assertThrows(IllegalArgumentException.class, () -> d.withIpcCacheEntries(0));
    assertThrows(IllegalArgumentException.class, () -> d.withEnabled(null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GpuSettings.fromConfig(with("tensorfs.gpu.streams = 0")));
    assertTrue(e.getMessage().startsWith("tensorfs.gpu: streams"), e.getMessage());
  }

  @Test
  void shouldKeepBoundaryValuesWhenValid() {
    GpuSettings s = GpuSettings.defaults().withStreams(GpuSettings.MAX_STREAMS).withCopyPieceBytes(4096)
        .withIpcCacheEntries(1);
    assertEquals(GpuSettings.MAX_STREAMS, s.streams());
    assertEquals(4096, s.copyPieceBytes());
    assertEquals(1, s.ipcCacheEntries());
  }
}
