package io.tensorfs.bench;

import java.util.List;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;

/**
 * Where a node thread spent a CPU sample, judged from the sample's stack. The first frame from the top
 * (the running method) down that belongs to a named area decides; frames of the plumbing every stack runs
 * on (Pekko streams, actors and dispatchers, the JDK) decide only when no named area is on the stack. GC
 * and JIT are not Java samples: their share comes from the JVM's threads' CPU ({@link ProcCpu}).
 */
enum CpuArea {
  HTTP("HTTP (gateway, pekko-http)", List.of("io.tensorfs.gateway.", "org.apache.pekko.http.")),
  SHARDING("sharding, entities, actor messaging", List.of("io.tensorfs.sharding.", "org.apache.pekko.cluster.")),
  PERSISTENCE("persistence + Cassandra driver", List.of("org.apache.pekko.persistence.", "com.datastax.", "io.netty.")),
  STORE("chunk store I/O", List.of("io.tensorfs.store.", "sun.nio.ch.FileChannelImpl", "sun.nio.ch.FileDispatcherImpl",
      "java.io.RandomAccessFile")),
  TRANSPORT("chunk transport (Aeron, TCP)", List.of("io.tensorfs.transport.", "io.aeron.", "org.agrona.")),
  SERIALIZATION("serialization (Jackson CBOR/JSON)", List.of("com.fasterxml.jackson.", "org.apache.pekko.serialization.")),
  METRICS_LOGS("metrics, logging", List.of("kamon.", "ch.qos.logback.", "org.slf4j.")),
  STREAMS("Pekko streams (bodies, pipelines)", List.of()),
  ACTORS("actor dispatch (mailboxes, scheduler)", List.of()),
  OTHER("other (JDK, core)", List.of());

  /** Plumbing that decides only where no named area is on the stack. */
  private static final List<String> STREAM_PLUMBING = List.of("org.apache.pekko.stream.");
  private static final List<String> ACTOR_PLUMBING = List.of("org.apache.pekko.actor.", "org.apache.pekko.dispatch.",
      "org.apache.pekko.remote.", "org.apache.pekko.event.");

  final String label;
  private final List<String> prefixes;

  CpuArea(String label, List<String> prefixes) {
    this.label = label;
    this.prefixes = prefixes;
  }

  static CpuArea of(RecordedStackTrace stack) {
    if (stack == null) return OTHER;
    List<RecordedFrame> frames = stack.getFrames();
    for (RecordedFrame f : frames) {
      String type = typeOf(f);
      for (CpuArea area : values()) {
        if (area.matches(type)) return area;
      }
    }
    for (RecordedFrame f : frames) {
      String type = typeOf(f);
      if (startsWithAny(type, STREAM_PLUMBING)) return STREAMS;
      if (startsWithAny(type, ACTOR_PLUMBING)) return ACTORS;
    }
    return OTHER;
  }

  private boolean matches(String type) {
    return startsWithAny(type, prefixes);
  }

  private static String typeOf(RecordedFrame f) {
    return f.getMethod() == null || f.getMethod().getType() == null ? "" : f.getMethod().getType().getName();
  }

  private static boolean startsWithAny(String type, List<String> prefixes) {
    for (String p : prefixes) {
      if (type.startsWith(p)) return true;
    }
    return false;
  }
}
