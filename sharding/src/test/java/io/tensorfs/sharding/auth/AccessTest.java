package io.tensorfs.sharding.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.operator.HintOp;
import org.junit.jupiter.api.Test;

/** Every role against every operation, on its own tenant, another tenant and the root. */
class AccessTest {
  private static final Caller ADMIN = new Caller("000000000001", Role.ADMIN, null);
  private static final Caller WRITER = new Caller("000000000002", Role.READ_WRITE, "team");
  private static final Caller READER = new Caller("000000000003", Role.READ_ONLY, "team");
  private static final TfsPath OWN = TfsPath.parse("/team/models/w.bin");
  private static final TfsPath OWN_TENANT_DIR = TfsPath.parse("/team");
  private static final TfsPath OTHER = TfsPath.parse("/other/models/w.bin");
  private static final TfsPath PREFIXED = TfsPath.parse("/team2/w.bin");

  @Test
  void shouldAllowAdminEverythingEverywhere() {
    for (Operation op : Operation.values()) {
      for (TfsPath p : new TfsPath[] {OWN, OTHER, TfsPath.ROOT}) {
        assertTrue(Access.allows(ADMIN, op, p), op + " " + p);
        Access.check(ADMIN, op, p);
      }
    }
    Access.requireAdmin(ADMIN);
    Access.requireTenant(ADMIN, "anyone");
  }

  @Test
  void shouldAllowReadWriteEveryOperationOnlyOnItsTenant() {
    for (Operation op : Operation.values()) {
      assertTrue(Access.allows(WRITER, op, OWN), op.text());
      assertTrue(Access.allows(WRITER, op, OWN_TENANT_DIR), op.text());
      Access.check(WRITER, op, OWN);
      assertForbidden(() -> Access.check(WRITER, op, OTHER), "tenant 'team'");
      assertForbidden(() -> Access.check(WRITER, op, PREFIXED), "tenant 'team'");
      assertForbidden(() -> Access.check(WRITER, op, TfsPath.ROOT), "at the root");
    }
  }

  @Test
  void shouldAllowReadOnlyOnlyReadsListsAndWarmingOnItsTenant() {
    for (Operation op : Operation.values()) {
      boolean reads = op == Operation.READ || op == Operation.LIST || op == Operation.WARM;
      assertEquals(reads, Access.allows(READER, op, OWN), op.text());
      if (reads) Access.check(READER, op, OWN);
      else assertForbidden(() -> Access.check(READER, op, OWN), "read-only");
      assertFalse(Access.allows(READER, op, OTHER));
      assertForbidden(() -> Access.check(READER, op, OTHER), "read-only");
    }
  }

  @Test
  void shouldCountPinUnpinAndDontneedAsWritesAndWillneedAsARead() {
    assertEquals(Operation.WARM, Operation.of(HintOp.WILLNEED));
    assertEquals(Operation.CACHE_CONTROL, Operation.of(HintOp.PIN));
    assertEquals(Operation.CACHE_CONTROL, Operation.of(HintOp.UNPIN));
    assertEquals(Operation.CACHE_CONTROL, Operation.of(HintOp.DONTNEED));
    assertFalse(Operation.WARM.changes());
    assertTrue(Operation.CACHE_CONTROL.changes());
  }

  @Test
  void shouldRefuseAdminEndpointsAndOtherTenantsToTenantTokens() {
    assertForbidden(() -> Access.requireAdmin(WRITER), "admin");
    assertForbidden(() -> Access.requireAdmin(READER), "admin");
    Access.requireTenant(READER, "team");
    assertForbidden(() -> Access.requireTenant(READER, "other"), "'other'");
  }

  @Test
  void shouldRefuseTheSameWayWhateverThePathHolds() {
    // The rule sees only the path's text: two paths of one other tenant get the same words but the path.
    String a = assertThrows(TfsException.class, () -> Access.check(WRITER, Operation.READ, OTHER)).getMessage();
    String b = assertThrows(TfsException.class,
        () -> Access.check(WRITER, Operation.READ, TfsPath.parse("/other/missing"))).getMessage();
    assertEquals(a, b);
  }

  private static void assertForbidden(Runnable call, String mentions) {
    TfsException e = assertThrows(TfsException.class, call::run);
    assertEquals(ErrorCode.FORBIDDEN, e.code());
    assertTrue(e.getMessage().contains(mentions), e.getMessage());
  }
}
