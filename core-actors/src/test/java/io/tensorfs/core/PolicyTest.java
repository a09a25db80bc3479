package io.tensorfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PolicyTest {
  @Test
  void shouldParseEveryPolicyWhenNamed() {
    assertEquals(Policy.PERSISTENT, Policy.parse("persistent"));
    assertEquals(3, Policy.parse("persistent").replicas());
    assertEquals(1, Policy.parse("kvcache").replicas());
    assertFalse(Policy.parse("kvcache").durable());
    assertTrue(Policy.parse("cache").durable());
    Policy c = Policy.parse("cache(2,8)");
    assertEquals(2, c.cacheMin());
    assertEquals(8, c.cacheMax());
    assertEquals("cache(2,8)", c.text());
  }

  @Test
  void shouldWaitForTwoOfThreeWhenPersistentIsNamedAlone() {
    Policy p = Policy.parse("persistent");
    assertEquals(3, p.replicas());
    assertEquals(2, p.minInsync());
    assertEquals(Policy.parse("persistent(3,2)"), p, "persistent is persistent(3,2)");
    assertEquals("persistent", Policy.parse("persistent(3,2)").text(), "the default prints as users write it");
  }

  @Test
  void shouldParseAndPrintReplicasAndMinInsyncWhenGivenBoth() {
    for (String text : new String[] {"persistent(3,3)", "persistent(2,1)", "persistent(1,1)", "persistent(5,3)"}) {
      Policy p = Policy.parse(text);
      assertEquals(Policy.Kind.PERSISTENT, p.kind());
      assertEquals(text, p.text());
      assertEquals(p, Policy.parse(p.text()), "what is printed parses back to the same policy");
    }
    Policy p = Policy.parse("persistent(2,1)");
    assertEquals(2, p.replicas());
    assertEquals(1, p.minInsync());
    assertTrue(p.durable());
  }

  @Test
  void shouldGiveCacheTheDefaultMinInsyncAndKvcacheOneOfOne() {
    assertEquals(2, Policy.parse("cache").minInsync());
    assertEquals(2, Policy.parse("cache(2,8)").minInsync());
    assertEquals(1, Policy.parse("kvcache").minInsync());
    assertEquals(1, Policy.parse("kvcache").replicas());
  }

  @Test
  void shouldTakeTheDefaultMinInsyncWhenNoneIsGiven() {
    // 0 is what a policy journaled before min-insync existed reads as.
    assertEquals(Policy.PERSISTENT, new Policy(Policy.Kind.PERSISTENT, 3, 0, 0, 0));
    assertEquals(Policy.CACHE, new Policy(Policy.Kind.CACHE, 3, 1, 4, 0));
    assertEquals(Policy.KVCACHE, new Policy(Policy.Kind.KVCACHE, 1, 0, 0, 0));
    assertEquals(1, new Policy(Policy.Kind.PERSISTENT, 1, 0, 0, 0).minInsync(), "the default is capped at r");
  }

  @Test
  void shouldCapMinInsyncAtTheNodesThatCanHoldReplicas() {
    Policy all = Policy.parse("persistent(3,3)");
    assertEquals(3, all.effectiveMinInsync(3));
    assertEquals(3, all.effectiveMinInsync(5));
    assertEquals(2, all.effectiveMinInsync(2));
    assertEquals(1, Policy.PERSISTENT.effectiveMinInsync(1), "the one-node default accepts persistent writes");
    assertEquals(2, Policy.PERSISTENT.effectiveMinInsync(4));
    assertEquals(1, Policy.PERSISTENT.effectiveMinInsync(0), "never below one");
    assertEquals(1, Policy.KVCACHE.effectiveMinInsync(3));
  }

  @Test
  void shouldRejectWithBadRequestWhenPolicyIsUnknown() {
    for (String bad : new String[] {"fast", "cache(3,1)", "cache(0,2)", "cache(1,)", "persistent(3,4)",
        "persistent(3,0)", "persistent(0,0)", "persistent(17,2)", "persistent(3)", "persistent(3,2", "persistent(,2)",
        "persistent(-1,1)", "persistent( 3,2)", "kvcache(1,1)"}) {
      TfsException e = assertThrows(TfsException.class, () -> Policy.parse(bad), bad);
      assertEquals(ErrorCode.BAD_REQUEST, e.code(), bad);
      assertTrue(e.getMessage().contains(bad), "the message names what was given: " + e.getMessage());
    }
    assertTrue(assertThrows(TfsException.class, () -> Policy.parse("persistent(3,4)")).getMessage().contains("1 <= m <= r"));
  }

  @Test
  void shouldRefuseMinInsyncOutsideItsReplicasWhenBuilt() {
    assertThrows(IllegalArgumentException.class, () -> new Policy(Policy.Kind.PERSISTENT, 3, 0, 0, 4));
    assertThrows(IllegalArgumentException.class, () -> new Policy(Policy.Kind.PERSISTENT, 3, 0, 0, -1));
  }
}
