package io.tensorfs.test;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the built pieces of the project are, seen from a test JVM. */
final class RepoPaths {
  private RepoPaths() {}

  static Path root() {
    String prop = System.getProperty("tfs.repo.root");
    Path p = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath().getParent();
    if (!Files.isDirectory(p.resolve("deploy"))) throw new IllegalStateException("cannot find the repo root from " + p);
    return p.toAbsolutePath();
  }

  /** The runtime classpath of a node: the test module's copied dependencies (deploy and all below). */
  static String nodeClasspath() {
    return root().resolve("test/target/lib").toString() + "/*";
  }

  static Path cassandraLib() {
    return root().resolve("deploy/cassandra-dist/target/lib");
  }

  static Path scratch(String name) {
    return root().resolve("test/target/it").resolve(name);
  }
}
