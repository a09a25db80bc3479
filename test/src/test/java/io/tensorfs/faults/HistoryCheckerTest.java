package io.tensorfs.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The history checker's rules, on hand-written histories of one path. */
class HistoryCheckerTest {
  private static final String PATH = "/faults/t1/c1/f0";
  private static final Body A = new Body("c1-0", 1, 100);
  private static final Body B = new Body("c1-1", 2, 200);

  private final List<Op> ops = new ArrayList<>();

  @Test
  void shouldPassWhenEveryAcknowledgedWriteReadsBack() {
    put(A, Outcome.ACKNOWLEDGED, 1);
    read(A, 1);
    put(B, Outcome.ACKNOWLEDGED, 2);
    read(B, 2);
    assertEquals(List.of(), check().violations());
    assertEquals(1, check().allowed().size());
  }

  @Test
  void shouldFailWhenAnAcknowledgedWriteIsMissingOrStale() {
    put(A, Outcome.ACKNOWLEDGED, 1);
    put(B, Outcome.ACKNOWLEDGED, 2);
    read(A, 1);
    absent();
    assertEquals(2, check().violations().size(), check().violations().toString());
  }

  @Test
  void shouldFailWhenARejectedWriteIsVisible() {
    put(A, Outcome.ACKNOWLEDGED, 1);
    put(B, Outcome.REJECTED, -1);
    read(B, 2);
    assertTrue(check().violations().get(0).contains("REJECTED"), check().violations().toString());
  }

  @Test
  void shouldAllowEitherWholeStateAfterAnUnknownWriteButNeverGoBack() {
    put(A, Outcome.ACKNOWLEDGED, 1);
    put(B, Outcome.UNKNOWN, -1);
    read(A, 1);
    read(B, 2);
    assertEquals(List.of(), check().violations());
    read(A, 1);
    assertEquals(1, check().violations().size(), "once the unknown write was seen, the old state cannot return");
  }

  @Test
  void shouldFailOnBytesThatMatchNoAttempt() {
    put(A, Outcome.UNKNOWN, -1);
    ops.add(new Op(0, 0, "final", "READ", PATH, null, 1, 200, 1, null, "partial"));
    assertTrue(check().violations().get(0).contains("partial or mixed"));
  }

  @Test
  void shouldFailWhenTheVersionReadIsNotTheOneAcknowledged() {
    put(A, Outcome.ACKNOWLEDGED, 3);
    read(A, 4);
    assertEquals(1, check().violations().size());
  }

  @Test
  void shouldTakeAnAcknowledgedDeleteAsAbsent() {
    put(A, Outcome.ACKNOWLEDGED, 1);
    ops.add(new Op(0, 0, "c1", "DELETE", PATH, null, 1, 204, -1, Outcome.ACKNOWLEDGED, ""));
    absent();
    assertEquals(List.of(), check().violations());
    read(A, 1);
    assertEquals(1, check().violations().size());
  }

  @Test
  void shouldMakeTheSameBytesFromTheSameSeed() {
    assertTrue(java.util.Arrays.equals(new Body("x", 7, 1001).bytes(), new Body("y", 7, 1001).bytes()));
    assertTrue(!java.util.Arrays.equals(new Body("x", 7, 1001).bytes(), new Body("x", 8, 1001).bytes()));
  }

  private HistoryChecker.Verdict check() {
    return HistoryChecker.check(PATH, ops);
  }

  private void put(Body body, Outcome outcome, long version) {
    int status = outcome == Outcome.ACKNOWLEDGED ? 201 : outcome == Outcome.REJECTED ? 503 : -1;
    ops.add(new Op(0, 0, "c1", "PUT", PATH, body, 1, status, version, outcome, ""));
  }

  private void read(Body body, long version) {
    ops.add(new Op(0, 0, "c1", "READ", PATH, body, 2, 200, version, null, ""));
  }

  private void absent() {
    ops.add(new Op(0, 0, "c1", "READ", PATH, null, 2, 404, -1, null, ""));
  }
}
