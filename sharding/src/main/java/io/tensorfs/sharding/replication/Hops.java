package io.tensorfs.sharding.replication;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.ReplicaLocation;
import io.tensorfs.core.TfsException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Replica locations as the bytes of a push's context (the rest of a chain) or of its acknowledgement
 * (where the bytes are durable): {@code node TAB store} lines. Node and store ids hold neither.
 */
final class Hops {
  private Hops() {}

  static byte[] encode(List<ReplicaLocation> hops) {
    StringBuilder b = new StringBuilder();
    for (ReplicaLocation h : hops) b.append(h.node()).append('\t').append(h.store()).append('\n');
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  static List<ReplicaLocation> decode(byte[] bytes) {
    List<ReplicaLocation> out = new ArrayList<>();
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      if (line.isEmpty()) continue;
      int tab = line.indexOf('\t');
      if (tab <= 0) throw new TfsException(ErrorCode.BAD_REQUEST, "malformed replica chain entry '" + line + "'");
      out.add(new ReplicaLocation(line.substring(0, tab), line.substring(tab + 1)));
    }
    return List.copyOf(out);
  }
}
