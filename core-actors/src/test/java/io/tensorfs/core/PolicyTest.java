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
  void shouldRejectWithBadRequestWhenPolicyIsUnknown() {
    for (String bad : new String[] {"fast", "cache(3,1)", "cache(0,2)", "cache(1,)"}) {
      assertEquals(ErrorCode.BAD_REQUEST, assertThrows(TfsException.class, () -> Policy.parse(bad)).code());
    }
  }
}
