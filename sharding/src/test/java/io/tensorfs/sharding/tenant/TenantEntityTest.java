package io.tensorfs.sharding.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.core.ErrorCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TenantEntityTest {
  private static final ActorTestKit TEST_KIT = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final Duration LEASE = Duration.ofSeconds(60);
  private static int tenants;

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private String tenant;
  private ActorRef<TenantEntity.Command> entity;

  @BeforeEach
  void setUp() {
    tenant = "t" + (++tenants);
    entity = spawn();
  }

  @AfterAll
  static void shutdown() {
    TEST_KIT.shutdownTestKit();
  }

  private ActorRef<TenantEntity.Command> spawn() {
    return TEST_KIT.spawn(TenantEntity.create(tenant, LEASE, clock::get));
  }

  private TenantEntity.ReserveReply reserve(String id, long min, long want, int files) {
    TestProbe<TenantEntity.ReserveReply> probe = TEST_KIT.createTestProbe();
    entity.tell(new TenantEntity.Reserve(id, min, want, files, probe.ref()));
    return probe.receiveMessage();
  }

  private long granted(String id, long min, long want, int files) {
    return assertInstanceOf(TenantEntity.Granted.class, reserve(id, min, want, files)).heldBytes();
  }

  private void refused(String id, long min, long want, int files) {
    TenantEntity.Refused r = assertInstanceOf(TenantEntity.Refused.class, reserve(id, min, want, files));
    assertEquals(ErrorCode.QUOTA_EXCEEDED, r.code());
    assertTrue(r.message().contains(tenant), r.message());
  }

  private TenantUsage ask(java.util.function.Function<ActorRef<TenantUsage>, TenantEntity.Command> message) {
    TestProbe<TenantUsage> probe = TEST_KIT.createTestProbe();
    entity.tell(message.apply(probe.ref()));
    return probe.receiveMessage();
  }

  private TenantUsage usage() {
    return ask(TenantEntity.GetUsage::new);
  }

  private TenantUsage quota(long maxBytes, long maxFiles) {
    return ask(r -> new TenantEntity.SetQuota(QuotaChange.of(OptionalLong.of(maxBytes), OptionalLong.of(maxFiles)), r));
  }

  private TenantUsage commit(String id, long bytes, long creditedBytes, int creditedFiles) {
    return ask(r -> new TenantEntity.Commit(id, bytes, 1, creditedBytes, creditedFiles, r));
  }

  @Test
  void shouldReportZerosAndNoLimitsWhenNeverWritten() {
    assertEquals(TenantUsage.empty(tenant), usage());
  }

  @Test
  void shouldGrantAsMuchAsWantedWhenThereIsNoQuota() {
    assertEquals(1L << 40, granted("w", 10, 1L << 40, 1));
    assertEquals(1L << 40, usage().reservedBytes());
    assertEquals(1, usage().reservedFiles());
  }

  @Test
  void shouldRefuseWhenCommittedPlusReservedPlusAskedIsOverTheQuota() {
    quota(100, 10);
    assertEquals(60, granted("a", 60, 60, 1));
    commit("a", 60, 0, 0);
    assertEquals(30, granted("b", 30, 30, 1));

    refused("c", 11, 11, 1); // 60 used + 30 reserved + 11 > 100
    assertEquals(10, granted("c", 10, 10, 1)); // exactly fills it

    TenantUsage u = usage();
    assertEquals(60, u.usedBytes());
    assertEquals(1, u.usedFiles());
    assertEquals(40, u.reservedBytes());
  }

  @Test
  void shouldGrowAReservationUpToTheRoomLeftWhenAskedForMore() {
    quota(100, 10);
    assertEquals(64, granted("w", 0, 64, 1));
    // received 70 of an undeclared length: at least 70, up to 70 + 64, but only 100 fit
    assertEquals(100, granted("w", 70, 134, 1));
    refused("w", 101, 165, 1);
    assertEquals(100, usage().reservedBytes(), "a refused growth keeps what was held");
  }

  @Test
  void shouldCountTheFilesQuotaAndLetAReplacementNeedNoNewFile() {
    quota(1000, 2);
    granted("a", 1, 1, 1);
    commit("a", 1, 0, 0);
    granted("b", 1, 1, 1);
    refused("c", 1, 1, 1);
    assertEquals(1, granted("c", 1, 1, 0), "a write replacing a visible file takes no new file");
    commit("c", 1, 1, 1); // replaced a 1-byte file: bytes and files unchanged
    TenantUsage u = usage();
    assertEquals(1, u.usedBytes());
    assertEquals(1, u.usedFiles());
  }

  @Test
  void shouldCreditTheReplacedVersionWhenCommitted() {
    granted("v1", 500, 500, 1);
    commit("v1", 500, 0, 0);
    granted("v2", 200, 200, 0);
    TenantUsage u = commit("v2", 200, 500, 1);
    assertEquals(200, u.usedBytes());
    assertEquals(1, u.usedFiles());
    assertEquals(0, u.reservedBytes());
  }

  @Test
  void shouldFreeTheRoomWhenReleased() {
    quota(100, 10);
    granted("a", 100, 100, 1);
    refused("b", 1, 1, 1);
    TenantUsage u = ask(r -> new TenantEntity.Release("a", r));
    assertEquals(0, u.reservedBytes());
    assertEquals(0, u.usedBytes(), "a released write counts nothing");
    granted("b", 100, 100, 1);
  }

  @Test
  void shouldFreeUsageWhenCreditedAndNeverGoBelowZero() {
    granted("a", 300, 300, 1);
    commit("a", 300, 0, 0);
    assertEquals(0, ask(r -> new TenantEntity.Credit(300, 1, r)).usedBytes());
    TenantUsage u = ask(r -> new TenantEntity.Credit(50, 1, r)); // a file written before usage was recorded
    assertEquals(0, u.usedBytes());
    assertEquals(0, u.usedFiles());
  }

  @Test
  void shouldRefuseNewBytesButRenewHeldOnesWhenTheQuotaIsLoweredBelowUsage() {
    quota(1000, 10);
    granted("a", 800, 800, 1);
    commit("a", 800, 0, 0);
    granted("b", 100, 100, 1);

    TenantUsage u = quota(500, 10);
    assertEquals(800, u.usedBytes(), "lowering the quota removes nothing");
    refused("c", 1, 1, 1);
    assertEquals(100, granted("b", 100, 100, 1), "a write in flight keeps what it holds");
    refused("b", 101, 101, 1);
  }

  @Test
  void shouldLapseAReservationWhoseLeaseRanOut() {
    quota(100, 10);
    granted("crashed", 100, 100, 1);
    refused("b", 1, 1, 1);

    clock.addAndGet(LEASE.toMillis() - 1);
    refused("b", 1, 1, 1);
    granted("renewing", 0, 0, 0); // any command looks at the leases
    clock.addAndGet(2);

    assertEquals(0, usage().reservedBytes(), "the crashed writer's reservation lapsed");
    assertEquals(100, granted("b", 100, 100, 1));
  }

  @Test
  void shouldKeepARenewedReservationPastItsFirstLease() {
    quota(100, 10);
    granted("slow", 50, 50, 1);
    clock.addAndGet(LEASE.toMillis() / 2);
    granted("slow", 50, 50, 1); // renewed
    clock.addAndGet(LEASE.toMillis() / 2 + 10);
    assertEquals(50, usage().reservedBytes());
    refused("other", 51, 51, 1);
  }

  @Test
  void shouldTakeALapsedReservationAgainWhenThereIsRoom() {
    quota(100, 10);
    granted("w", 40, 40, 1);
    clock.addAndGet(LEASE.toMillis() + 1);
    assertEquals(0, usage().reservedBytes());
    assertEquals(60, granted("w", 40, 60, 1));
  }

  @Test
  void shouldCommitALapsedReservationBecauseItsVersionIsSealed() {
    granted("w", 40, 40, 1);
    clock.addAndGet(LEASE.toMillis() + 1);
    assertEquals(40, commit("w", 40, 0, 0).usedBytes());
  }

  @Test
  void shouldRecoverQuotaAndUsageButNotReservationsWhenRestarted() {
    quota(100, 5);
    granted("a", 30, 30, 1);
    commit("a", 30, 0, 0);
    granted("inflight", 50, 50, 1);
    TEST_KIT.stop(entity);

    entity = spawn();
    TenantUsage u = usage();
    assertEquals(30, u.usedBytes());
    assertEquals(1, u.usedFiles());
    assertEquals(OptionalLong.of(100), u.maxBytes());
    assertEquals(OptionalLong.of(5), u.maxFiles());
    assertEquals(0, u.reservedBytes(), "reservations are not persisted");
  }

  @Test
  void shouldKeepOneLimitWhenOnlyTheOtherIsSet() {
    quota(100, 5);
    TenantUsage u = ask(r -> new TenantEntity.SetQuota(
        new QuotaChange(true, OptionalLong.empty(), false, OptionalLong.empty()), r));
    assertEquals(OptionalLong.empty(), u.maxBytes());
    assertEquals(OptionalLong.of(5), u.maxFiles());
  }

  @Test
  void shouldPersistCommitsArrivingTogetherInFewerEvents() {
    PersistenceTestKit journal = PersistenceTestKit.create(TEST_KIT.system());
    int writes = 50;
    for (int i = 0; i < writes; i++) granted("w" + i, 10, 10, 1);
    List<TestProbe<TenantUsage>> probes = new ArrayList<>();
    for (int i = 0; i < writes; i++) {
      TestProbe<TenantUsage> probe = TEST_KIT.createTestProbe();
      entity.tell(new TenantEntity.Commit("w" + i, 10, 1, 0, 0, probe.ref()));
      probes.add(probe);
    }
    for (TestProbe<TenantUsage> p : probes) p.receiveMessage();

    TenantUsage u = usage();
    assertEquals(10L * writes, u.usedBytes());
    assertEquals(writes, u.usedFiles());
    List<Object> events = journal.persistedInStorage("Tenant|" + tenant);
    long changes = events.stream().filter(e -> e instanceof TenantEntity.UsageChanged).count();
    assertTrue(changes < writes, writes + " commits sent at once took " + changes + " events");
    assertEquals(writes, events.stream().filter(e -> e instanceof TenantEntity.UsageChanged)
        .mapToInt(e -> ((TenantEntity.UsageChanged) e).commits()).sum());
  }

  @Test
  void shouldCountBatchedButUnpersistedCommitsInTheQuotaCheck() {
    quota(100, 10);
    granted("a", 100, 100, 1);
    TestProbe<TenantUsage> committed = TEST_KIT.createTestProbe();
    TestProbe<TenantEntity.ReserveReply> next = TEST_KIT.createTestProbe();
    entity.tell(new TenantEntity.Commit("a", 100, 1, 0, 0, committed.ref()));
    entity.tell(new TenantEntity.Reserve("b", 1, 1, 1, next.ref())); // arrives before the batch is written
    committed.receiveMessage();
    assertInstanceOf(TenantEntity.Refused.class, next.receiveMessage());
  }
}
