package io.tensorfs.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * A recording's CPU samples told three ways: by thread (digits in names folded, so a pool's threads count
 * together), by the running method, and by the topmost tensorfs method on the stack (the project code a
 * sample ran in or under); Java samples and native ones (threads in a system call or other native code, e.g.
 * a socket write: {@code jdk.NativeMethodSample}) apart, as the recorder takes them at different periods.
 * Enough to see which thread a data path is bound by and where in it.
 */
final class HotSpots {
  private static final String PROJECT = "io.tensorfs.";

  /** The samples of one event type. */
  private static final class View {
    final String title;
    final Map<String, Long> threads = new HashMap<>();
    final Map<String, Long> leaves = new HashMap<>();
    final Map<String, Long> project = new HashMap<>();
    long samples;

    View(String title) {
      this.title = title;
    }

    void add(RecordedEvent e) {
      samples++;
      RecordedThread t = e.getThread("sampledThread");
      String name = t == null || t.getJavaName() == null ? "?" : t.getJavaName().replaceAll("[0-9]+", "N");
      threads.merge(name, 1L, Long::sum);
      List<RecordedFrame> frames = e.getStackTrace() == null ? List.of() : e.getStackTrace().getFrames();
      if (frames.isEmpty()) return;
      leaves.merge(method(frames.get(0)), 1L, Long::sum);
      for (RecordedFrame f : frames) {
        String m = method(f);
        if (m.startsWith(PROJECT)) {
          project.merge(m, 1L, Long::sum);
          break;
        }
      }
    }

    List<String> describe(int top) {
      List<String> out = new ArrayList<>();
      out.add(samples + " " + title);
      out.addAll(section("by thread", threads, top));
      out.addAll(section("running method", leaves, top));
      out.addAll(section("in or under tensorfs method", project, top));
      return out;
    }

    private List<String> section(String name, Map<String, Long> counts, int top) {
      List<String> out = new ArrayList<>();
      out.add(name + ":");
      counts.entrySet().stream()
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .limit(top)
          .forEach(en -> out.add(String.format("  %5.1f%%  %s", 100.0 * en.getValue() / Math.max(1, samples), en.getKey())));
      return out;
    }
  }

  private final View java = new View("Java samples");
  private final View nativeCode = new View("native samples");

  private HotSpots() {}

  static HotSpots of(Path recording) throws IOException {
    HotSpots h = new HotSpots();
    for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
      switch (e.getEventType().getName()) {
        case "jdk.ExecutionSample" -> h.java.add(e);
        case "jdk.NativeMethodSample" -> h.nativeCode.add(e);
        default -> { }
      }
    }
    return h;
  }

  private static String method(RecordedFrame f) {
    RecordedMethod m = f.getMethod();
    if (m == null || m.getType() == null) return "?";
    return m.getType().getName() + "." + m.getName();
  }

  /**
   * Lines: the Java samples' count, then the {@code top} largest of each view with its share of those
   * samples; then the same for the native samples.
   */
  List<String> describe(int top) {
    List<String> out = new ArrayList<>(java.describe(top));
    out.addAll(nativeCode.describe(top));
    return out;
  }
}
