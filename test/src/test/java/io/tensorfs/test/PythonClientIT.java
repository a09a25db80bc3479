package io.tensorfs.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorfs.harness.AdminToken;
import io.tensorfs.harness.NodeProcess;
import io.tensorfs.harness.RepoPaths;
import io.tensorfs.harness.SharedCassandra;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Python client's tests (clients/python/tests, host-memory SGEs) against a real node process over
 * a real Cassandra, reached at the gRPC address the node was started with.
 */
class PythonClientIT {
  @Test
  void shouldPassThePythonClientTestsAgainstARealNode() throws Exception {
    Path dir = RepoPaths.scratch("python");
    SharedCassandra.deleteTree(dir);
    try (NodeProcess node = new NodeProcess("node-1", dir.resolve("node-1"), SharedCassandra.get().contactPoint(),
        "it_python", List.of("-Dtensorfs.gateway.chunk-size=4MiB")).start(Duration.ofMinutes(3))) {
      Path log = dir.resolve("python-tests.log");
      // Debian's interpreter: scripts/ensure-deps installs python3-grpcio and python3-protobuf for it.
      String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
      ProcessBuilder tests = new ProcessBuilder(python, "-m", "unittest", "discover", "-s", "tests", "-v")
          .directory(RepoPaths.root().resolve("clients/python").toFile())
          .redirectErrorStream(true)
          .redirectOutput(log.toFile());
      tests.environment().put("TFS_GRPC", node.grpcAddress());
      tests.environment().put(AdminToken.ENV, AdminToken.of(node));
      tests.environment().put("PYTHONUNBUFFERED", "1");
      Process p = tests.start();
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the Python tests finish within 5 minutes");
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), output);
      assertFalse(output.contains("skipped"), "every Python test ran against the node:\n" + output);
      assertTrue(output.contains("OK"), output);
    }
  }
}
