package io.tensorfs.harness;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the built pieces of the project are, seen from a test JVM. */
public final class RepoPaths {
  private RepoPaths() {}

  public static Path root() {
    String prop = System.getProperty("tfs.repo.root");
    Path here = Path.of("").toAbsolutePath();
    for (Path p : prop != null ? new Path[] {Path.of(prop)} : new Path[] {here, here.getParent()}) {
      if (p != null && Files.isDirectory(p.resolve("deploy")) && Files.exists(p.resolve("pom.xml"))) {
        return p.toAbsolutePath();
      }
    }
    throw new IllegalStateException("cannot find the repo root from " + here + " (set -Dtfs.repo.root)");
  }

  /**
   * The runtime classpath of a node: the test module's copied dependencies (deploy and all below), or
   * {@code -Dtfs.node.classpath} where the jars are elsewhere (a packed copy on another machine).
   */
  public static String nodeClasspath() {
    String packed = System.getProperty("tfs.node.classpath");
    if (packed != null) return packed;
    return root().resolve("test/target/lib").toString() + "/*";
  }

  /** Cassandra's jars: those the build gathered, or {@code -Dtfs.cassandra.lib} (a packed copy on another machine). */
  public static Path cassandraLib() {
    String packed = System.getProperty("tfs.cassandra.lib");
    if (packed != null) return Path.of(packed);
    return root().resolve("deploy/cassandra-dist/target/lib");
  }

  public static Path scratch(String name) {
    return root().resolve("test/target/it").resolve(name);
  }
}
