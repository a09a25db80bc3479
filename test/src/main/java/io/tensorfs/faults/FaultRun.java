package io.tensorfs.faults;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs trials one after another and sums them up: trial {@code i} of a run with seed {@code S} uses the
 * seed {@code S + i}, so a run of one trial with that seed replays it. Runs on the calling thread.
 */
public final class FaultRun {
  /** The sum of a run's trials. Immutable. */
  public record Summary(List<TrialResult> results, double seconds) {
    public int failed() {
      return (int) results.stream().filter(r -> !r.passed()).count();
    }

    public int acknowledged() {
      return results.stream().mapToInt(TrialResult::acknowledged).sum();
    }

    public int acknowledgedPuts() {
      return results.stream().mapToInt(TrialResult::acknowledgedPuts).sum();
    }

    public int readBack() {
      return results.stream().mapToInt(TrialResult::readBack).sum();
    }

    public int finalReads() {
      return results.stream().mapToInt(TrialResult::finalReads).sum();
    }

    public int rejected() {
      return results.stream().mapToInt(TrialResult::rejected).sum();
    }

    public int unknown() {
      return results.stream().mapToInt(TrialResult::unknown).sum();
    }

    public String line(String what) {
      return String.format("%s: %d trials, %d failed; %d kills; %d acknowledged writes (%d PUTs, %d of them read back"
              + " byte-exact); %d rejected and %d unknown writes checked; %d final reads; %.0f s (%.0f s a trial)",
          what, results.size(), failed(), results.size(), acknowledged(), acknowledgedPuts(), readBack(), rejected(),
          unknown(),
          finalReads(), seconds, results.isEmpty() ? 0 : seconds / results.size());
    }
  }

  private final FaultTrial trial;
  private final PrintStream out;

  public FaultRun(FaultTrial trial, PrintStream out) {
    this.trial = trial;
    this.out = out;
  }

  /** Runs {@code count} trials of {@code fault}, numbered from {@code first}, printing a line for each. */
  public Summary run(int first, int count, long seed, Fault fault) throws Exception {
    long t0 = System.nanoTime();
    List<TrialResult> results = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      TrialResult r = trial.run(first + i, seed + i, fault);
      results.add(r);
      out.println(r.line());
      out.flush();
    }
    return new Summary(results, (System.nanoTime() - t0) / 1e9);
  }
}
