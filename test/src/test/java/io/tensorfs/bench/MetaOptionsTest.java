package io.tensorfs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MetaOptionsTest {
  @Test
  void shouldTakeTheFullRunsCountsWhenNoOptionIsGiven() {
    MetaOptions o = MetaOptions.parse(new String[] {"--dir", "/tmp/x"});
    assertEquals(16, o.clients());
    assertEquals(1_000_000, o.dirEntries());
    assertEquals(60, o.warmMinSeconds());
    assertFalse(o.profile());
    assertTrue(o.runs("dirs") && o.runs("creates"));
  }

  @Test
  void shouldScaleDownWhenQuickAndKeepExplicitOptions() {
    MetaOptions o = MetaOptions.parse(new String[] {"--quick", "--profile", "--clients", "4", "--only", "creates,dirs",
        "--dir", "/tmp/x"});
    assertTrue(o.quick() && o.profile());
    assertEquals(4, o.clients());
    assertTrue(o.dirEntries() < 10_000);
    assertTrue(o.runs("dirs"));
    assertFalse(o.runs("reads"));
  }

  @Test
  void shouldRefuseUnknownPartsAndOptionsWhenParsing() {
    assertThrows(IllegalArgumentException.class, () -> MetaOptions.parse(new String[] {"--only", "creates,nope", "--dir", "/tmp/x"}));
    assertThrows(IllegalArgumentException.class, () -> MetaOptions.parse(new String[] {"--speed", "9", "--dir", "/tmp/x"}));
    assertThrows(IllegalArgumentException.class, () -> MetaOptions.parse(new String[] {"--clients", "0", "--dir", "/tmp/x"}));
    assertThrows(IllegalArgumentException.class, () -> MetaOptions.parse(new String[] {"--clients"}));
  }
}
