package io.tensorfs.deploy.cassandra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tells whether a process is the Cassandra JVM of a given data directory, so a recycled pid in a stale pid
 * file is never adopted or killed.
 */
final class CassandraProcesses {

  private CassandraProcesses() {
  }

  static boolean isCassandraOf(ProcessHandle process, CassandraLayout layout) {
    String commandLine = commandLine(process);
    return commandLine.contains(CassandraCommand.MAIN_CLASS)
        // The trailing space: member 1's home is a prefix of member 2's (cassandra, cassandra-2).
        && (commandLine + " ").contains(" -Dcassandra.storagedir=" + layout.home() + " ");
  }

  /** Linux's full argument vector where there is one; the JDK's view, which may be truncated, elsewhere. */
  private static String commandLine(ProcessHandle process) {
    Path procCmdline = Path.of("/proc", Long.toString(process.pid()), "cmdline");
    try {
      if (Files.isReadable(procCmdline)) {
        return new String(Files.readAllBytes(procCmdline), StandardCharsets.UTF_8).replace('\0', ' ');
      }
    } catch (IOException e) {
      // The process exited meanwhile, or the file vanished: fall back to the JDK's view.
    }
    return process.info().commandLine().orElse("");
  }
}
