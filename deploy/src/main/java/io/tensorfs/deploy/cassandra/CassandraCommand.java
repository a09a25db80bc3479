package io.tensorfs.deploy.cassandra;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The command line of the Cassandra JVM: the same JDK as this one, Cassandra's own classpath, the jamm agent,
 * the module openings Cassandra 5.0 needs on JDK 17, and the system properties that make a lone node start
 * fast.
 */
final class CassandraCommand {

  static final String MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon";

  /** What Cassandra 5.0 reaches into on JDK 17 (its jvm17-server.options, JPMS section). */
  private static final List<String> JDK17_MODULE_OPTIONS = List.of(
      "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
      "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
      "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
      "--add-exports", "java.sql/java.sql=ALL-UNNAMED",
      "--add-exports", "java.base/java.lang.ref=ALL-UNNAMED",
      "--add-exports", "jdk.unsupported/sun.misc=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.math=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.util.jar=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
      "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.base/java.io=ALL-UNNAMED",
      "--add-opens", "java.base/java.nio=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens", "java.base/java.util=ALL-UNNAMED",
      "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens", "java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens", "java.base/java.net=ALL-UNNAMED");

  private CassandraCommand() {
  }

  static List<String> build(CassandraSettings settings) {
    CassandraLayout layout = settings.layout();
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    command.add("-Xms" + settings.heap());
    command.add("-Xmx" + settings.heap());
    command.add("-Xss256k");
    command.add("-XX:+UseG1GC");
    command.add("-XX:MaxTenuringThreshold=1");
    command.add("-XX:+ParallelRefProcEnabled");
    command.add("-XX:+PerfDisableSharedMem");
    command.add("-XX:+ExitOnOutOfMemoryError");
    command.add("-javaagent:" + jammJar(settings.libDir()));
    command.addAll(JDK17_MODULE_OPTIONS);
    command.add("-Djdk.attach.allowAttachSelf=true");
    command.add("-Djava.net.preferIPv4Stack=true");
    command.add("-Dio.netty.tryReflectionSetAccessible=true");
    command.add("-Dio.netty.allocator.useCacheForAllThreads=true");
    command.add("-Dio.netty.allocator.maxOrder=11");
    command.add("-Dcassandra.config=" + layout.yamlFile().toUri());
    command.add("-Dcassandra.storagedir=" + layout.home());
    command.add("-Dcassandra.logdir=" + layout.logsDir());
    command.add("-Dcassandra.triggers_dir=" + layout.triggersDir());
    command.add("-Dlogback.configurationFile=" + layout.logbackFile().toUri());
    command.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    command.add("-Dcassandra.ring_delay_ms=" + ringDelayMillis(settings));
    command.add("-Dcassandra.superuser_setup_delay_ms=0");
    command.add("-Dcassandra-foreground=yes");
    command.add("-cp");
    command.add(settings.libDir() + File.separator + "*");
    command.add(MAIN_CLASS);
    return command;
  }

  /**
   * How long a starting node listens to gossip before it trusts what it heard. A lone node or a ring's seed
   * bootstraps from nobody, so a second is plenty. A member that joins through the seed gives up ("Unable to
   * contact any seeds") if it has not heard the seed by then, which a busy 2-core machine can take longer
   * than a second to answer: joiners wait {@value #JOINER_RING_DELAY_MS} ms.
   */
  static long ringDelayMillis(CassandraSettings settings) {
    return settings.seedStoragePort() > 0 ? JOINER_RING_DELAY_MS : 1_000;
  }

  static final long JOINER_RING_DELAY_MS = 10_000;

  /** The java launcher of the running JVM, so Cassandra gets the same JDK 17. */
  static String javaExecutable() {
    return ProcessHandle.current().info().command()
        .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  static Path jammJar(Path libDir) {
    if (!Files.isDirectory(libDir)) {
      throw new CassandraLaunchException("Cassandra lib folder " + libDir
          + " does not exist: build it with `mvn -pl deploy/cassandra-dist package`");
    }
    try (Stream<Path> files = Files.list(libDir)) {
      return files
          .filter(f -> f.getFileName().toString().matches("jamm-.*\\.jar"))
          .findFirst()
          .orElseThrow(() -> new CassandraLaunchException("no jamm jar in " + libDir));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + libDir, e);
    }
  }
}
