package io.tensorfs.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client's own tests (clients/python/tests) against this JVM's gRPC gateway. Skipped where
 * no Python with grpcio and protobuf is installed (scripts/ensure-deps installs Debian's); pick
 * another interpreter with {@code -Dtensorfs.python=/path/to/python}.
 */
class PythonClientTest {
  static final Path CLIENT = Path.of("..", "clients", "python");

  @TempDir
  Path storeDir;

  @Test
  void shouldPassPythonClientTestsWhenRunAgainstThisGateway() throws Exception {
    Optional<String> python = pythonWithGrpc();
    if ("true".equals(System.getenv("CI"))) {
      assertTrue(python.isPresent(), "CI installs python3-grpcio and python3-protobuf (scripts/ensure-deps)");
    }
    Assumptions.assumeTrue(python.isPresent(), "no python3 with grpcio and protobuf");
    try (GrpcTestNode node = GrpcTestNode.start(storeDir, new FakeGpus(), Hints.unsupported(), "")) {
      Path log = storeDir.resolve("python-tests.log");
      ProcessBuilder tests = new ProcessBuilder(python.get(), "-m", "unittest", "discover", "-s", "tests", "-v")
          .directory(CLIENT.toFile())
          .redirectErrorStream(true)
          .redirectOutput(log.toFile());
      tests.environment().put("TFS_GRPC", "127.0.0.1:" + node.port());
      Process p = tests.start();
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "python tests finish in 5 minutes");
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), output);
      assertFalse(output.contains("skipped"), "every Python test ran:\n" + output);
    }
  }

  private static Optional<String> pythonWithGrpc() throws InterruptedException {
    List<String> candidates = new java.util.ArrayList<>(List.of("/usr/bin/python3", "python3"));
    String chosen = System.getProperty("tensorfs.python", "");
    if (!chosen.isEmpty()) candidates = List.of(chosen);
    for (String candidate : candidates) {
      try {
        Process p = new ProcessBuilder(candidate, "-c", "import grpc, google.protobuf").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) return Optional.of(candidate);
      } catch (java.io.IOException notThere) {
        // try the next one
      }
    }
    return Optional.empty();
  }
}
