package io.tensorfs.faults;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Judges one path's history: the writes of its one client in order, and the reads made of it during
 * and after the trial. The rules:
 *
 * <ul>
 *   <li>An acknowledged write (201, 204) is the path's state from then on, until the next write.
 *   <li>A rejected write (an error status, 503 included, or a refused connection) never becomes visible.
 *   <li>A write whose outcome is unknown (no answer) may stand or not, but whole: a read sees either the
 *       state before it or exactly its bytes, and once a read saw it, every later read does.
 *   <li>A read answers the bytes of one attempt exactly; bytes that match no attempt (a partial or mixed
 *       file) are a violation, as is an acknowledged file that reads as absent.
 *   <li>A file read back at an acknowledged body carries the version (ETag) its 201 named.
 * </ul>
 *
 * Stateless; any thread.
 */
public final class HistoryChecker {
  /** A path's allowed states, oldest first; {@code null} is "absent". */
  public record Verdict(List<String> violations, List<Body> allowed) {
    /** The one state the path must be in, if only one is allowed. */
    public boolean settled() {
      return allowed.size() == 1;
    }
  }

  private HistoryChecker() {}

  public static Verdict check(String path, List<Op> ops) {
    List<String> violations = new ArrayList<>();
    List<Body> allowed = new ArrayList<>();
    allowed.add(null);
    Set<String> rejected = new HashSet<>();
    Map<String, Long> ackedVersion = new HashMap<>();
    long lastVersion = 0;
    for (Op op : ops) {
      switch (op.kind()) {
        case "PUT" -> {
          if (op.outcome() == Outcome.ACKNOWLEDGED) {
            if (op.version() <= lastVersion) {
              violations.add(path + ": 201 named version " + op.version() + ", not above " + lastVersion + ": " + op);
            }
            lastVersion = Math.max(lastVersion, op.version());
            ackedVersion.put(op.body().id(), op.version());
            allowed.clear();
            allowed.add(op.body());
          } else if (op.outcome() == Outcome.REJECTED) {
            rejected.add(op.body().id());
          } else {
            allowed.add(op.body());
          }
        }
        case "DELETE" -> {
          if (op.outcome() == Outcome.ACKNOWLEDGED) {
            if (op.status() == 404 && !allowed.contains(null)) {
              violations.add(path + ": DELETE answered 404 while " + allowed + " should stand: " + op);
            }
            allowed.clear();
            allowed.add(null);
          } else if (op.outcome() == Outcome.UNKNOWN) {
            allowed.add(null);
          }
        }
        case "READ" -> read(path, op, allowed, rejected, ackedVersion, violations);
        default -> { }
      }
    }
    return new Verdict(violations, java.util.Collections.unmodifiableList(new ArrayList<>(allowed)));
  }

  private static void read(String path, Op op, List<Body> allowed, Set<String> rejected,
      Map<String, Long> ackedVersion, List<String> violations) {
    Body seen;
    if (op.status() == 404) {
      seen = null;
    } else if (op.status() == 200 && op.body() != null) {
      seen = op.body();
    } else if (op.status() == 200) {
      violations.add(path + ": a read served bytes that match no attempted write (partial or mixed): " + op);
      return;
    } else {
      return; // 503 while the cluster heals, or no answer: nothing learned
    }
    int at = indexOf(allowed, seen);
    if (at < 0) {
      String what = seen == null ? "absent" : rejected.contains(seen.id()) ? "a REJECTED write's bytes" : "stale bytes";
      violations.add(path + ": read saw " + what + " (" + (seen == null ? "404" : seen.id()) + ") where only "
          + describe(allowed) + " may stand: " + op);
      return;
    }
    if (seen != null && ackedVersion.containsKey(seen.id()) && op.version() != ackedVersion.get(seen.id())) {
      violations.add(path + ": " + seen.id() + " was acknowledged as version " + ackedVersion.get(seen.id())
          + " but read as version " + op.version() + ": " + op);
    }
    // Once a state is seen, the states before it can never come back.
    allowed.subList(0, at).clear();
  }

  private static int indexOf(List<Body> allowed, Body seen) {
    for (int i = 0; i < allowed.size(); i++) {
      Body b = allowed.get(i);
      if (b == null ? seen == null : seen != null && b.id().equals(seen.id())) return i;
    }
    return -1;
  }

  static String describe(List<Body> allowed) {
    List<String> names = new ArrayList<>();
    for (Body b : allowed) names.add(b == null ? "absent" : b.id());
    return names.toString();
  }
}
