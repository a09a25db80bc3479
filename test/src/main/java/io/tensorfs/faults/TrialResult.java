package io.tensorfs.faults;

import java.nio.file.Path;
import java.util.List;

/**
 * What one trial found. Immutable.
 *
 * @param acknowledged    writes acknowledged (201 or 204)
 * @param acknowledgedPuts PUTs acknowledged (201)
 * @param readBack        acknowledged PUTs whose bytes a later read returned exactly
 * @param finalReads      reads of the final check (every path from every node)
 * @param rejected        writes answered with an error status (none may be visible)
 * @param unknown         writes that got no answer
 * @param violations      broken rules; empty when the trial passed
 * @param history         where the trial's history was written
 */
public record TrialResult(int trial, long seed, Fault fault, String victim, int acknowledged, int acknowledgedPuts,
    int readBack,
    int finalReads, int rejected, int unknown, double seconds, List<String> violations, Path history) {

  public boolean passed() {
    return violations.isEmpty();
  }

  public String line() {
    return String.format("trial %d seed %d %s %s: %s; %d acknowledged writes (%d PUTs, %d of them read back"
            + " byte-exact), %d rejected, %d unknown, %d final reads; %.0f s",
        trial, seed, fault, victim, passed() ? "ok" : violations.size() + " VIOLATIONS", acknowledged,
        acknowledgedPuts, readBack, rejected, unknown, finalReads, seconds);
  }
}
