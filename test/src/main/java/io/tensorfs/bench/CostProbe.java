package io.tensorfs.bench;

import java.util.Map;

/**
 * What one phase of the metadata benchmark cost the machine: CPU of the node's and Cassandra's processes
 * ({@link ProcCpu}) and Cassandra's statements by table ({@link CassandraCounts}), marked before the phase
 * and read after it. One thread at a time.
 */
final class CostProbe {
  private final long nodePid;
  private final long cassandraPid;
  private final CassandraCounts counts;

  /** The readings at a phase's start. */
  record Mark(ProcCpu.Sample node, ProcCpu.Sample cassandra, Map<String, CassandraCounts.Table> tables) {}

  /** A phase's cost: its operations and what they used in all (CPU in ms, statements by table). */
  record Cost(long ops, ProcCpu.Sample node, ProcCpu.Sample cassandra, Map<String, CassandraCounts.Table> tables) {
    double nodeMsPerOp() {
      return node.totalMs() / ops;
    }

    double cassandraMsPerOp() {
      return cassandra.totalMs() / ops;
    }

    double writesPerOp() {
      return tables.values().stream().mapToLong(CassandraCounts.Table::writes).sum() / (double) ops;
    }

    double readsPerOp() {
      return tables.values().stream().mapToLong(CassandraCounts.Table::reads).sum() / (double) ops;
    }
  }

  CostProbe(long nodePid, long cassandraPid, CassandraCounts counts) {
    this.nodePid = nodePid;
    this.cassandraPid = cassandraPid;
    this.counts = counts;
  }

  Mark mark() {
    return new Mark(ProcCpu.of(nodePid), ProcCpu.of(cassandraPid), counts.now());
  }

  Cost since(Mark m, long ops) {
    return new Cost(Math.max(1, ops), ProcCpu.of(nodePid).minus(m.node()), ProcCpu.of(cassandraPid).minus(m.cassandra()),
        CassandraCounts.between(m.tables(), counts.now()));
  }

  /** The same probe for a node process started again (a new pid). */
  CostProbe withNode(long pid) {
    return new CostProbe(pid, cassandraPid, counts);
  }
}
