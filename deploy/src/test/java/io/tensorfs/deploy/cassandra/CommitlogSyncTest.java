package io.tensorfs.deploy.cassandra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CommitlogSyncTest {

  @Test
  void shouldParseEveryModeWhenGivenAsText() {
    assertEquals(CommitlogSync.BATCH, CommitlogSync.parse("batch"));
    assertEquals(new CommitlogSync(CommitlogSync.Mode.GROUP, Duration.ofMillis(15)), CommitlogSync.parse("group:15ms"));
    assertEquals(new CommitlogSync(CommitlogSync.Mode.GROUP, Duration.ofMillis(2)), CommitlogSync.parse("group"));
    assertEquals(new CommitlogSync(CommitlogSync.Mode.PERIODIC, Duration.ofSeconds(10)), CommitlogSync.parse("periodic"));
    assertEquals(new CommitlogSync(CommitlogSync.Mode.PERIODIC, Duration.ofSeconds(3)), CommitlogSync.parse("Periodic:3s"));
  }

  @Test
  void shouldSayWhetherAWriteWaitsForTheDiskWhenAsked() {
    assertTrue(CommitlogSync.BATCH.syncsBeforeAnswer());
    assertTrue(CommitlogSync.parse("group:5ms").syncsBeforeAnswer());
    assertFalse(CommitlogSync.parse("periodic:10s").syncsBeforeAnswer());
  }

  @Test
  void shouldRejectWhenTheTextIsNoMode() {
    assertThrows(IllegalArgumentException.class, () -> CommitlogSync.parse("sometimes"));
    assertThrows(IllegalArgumentException.class, () -> CommitlogSync.parse("group:soon"));
    assertThrows(IllegalArgumentException.class, () -> CommitlogSync.parse("batch:2ms"));
    assertThrows(IllegalArgumentException.class, () -> CommitlogSync.parse("periodic:0ms"));
  }

  @Test
  void shouldPrintWhatItParsesWhenShown() {
    assertEquals("group:15ms", CommitlogSync.parse("group:15ms").toString());
    assertEquals(CommitlogSync.parse("periodic:10000ms"), CommitlogSync.parse(CommitlogSync.parse("periodic").toString()));
  }
}
