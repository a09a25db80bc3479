package io.tensorfs.fuse;

import com.typesafe.config.ConfigFactory;
import io.tensorfs.client.TfsClient;
import io.tensorfs.fuse.internal.FileTable;
import io.tensorfs.fuse.internal.NodeCalls;
import io.tensorfs.fuse.internal.TensorfsFileSystem;
import io.tensorfs.fuse.internal.WindowPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The POSIX mount's process: {@code TensorfsMount DIR --grpc HOST:PORT [--tenant T]} mounts the node's namespace
 * (or one tenant's, as the root) on {@code DIR} with FUSE and serves it until {@code DIR} is unmounted
 * ({@code umount DIR}) or the process is told to stop (SIGTERM unmounts). The token comes from {@code TFS_TOKEN}.
 * The main thread runs libfuse's loop; libfuse's worker threads run the callbacks.
 */
public final class TensorfsMount {
  static {
    // Its own logging set-up under its own name: on a classpath shared with a node, a logback.xml would be the node's.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "tensorfs-fuse-logback.xml");
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(TensorfsMount.class);

  private TensorfsMount() {}

  public static void main(String[] args) {
    int code;
    try {
      code = run(args);
    } catch (IllegalArgumentException e) {
      System.err.println("tensorfs mount: " + e.getMessage());
      code = 2;
    } catch (RuntimeException | IOException e) {
      LOG.error("the mount failed", e);
      code = 1;
    }
    // libfuse and grpc-java leave non-daemon threads behind: exit explicitly.
    System.exit(code);
  }

  static int run(String[] args) throws IOException {
    String dir = null;
    String tenant = "";
    String grpc = System.getenv().getOrDefault("TFS_GRPC", "127.0.0.1:9090");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--tenant" -> tenant = value(args, ++i, "--tenant");
        case "--grpc" -> grpc = value(args, ++i, "--grpc");
        default -> {
          if (dir != null || args[i].startsWith("-")) throw new IllegalArgumentException("usage: DIR --grpc HOST:PORT [--tenant T]");
          dir = args[i];
        }
      }
    }
    if (dir == null) throw new IllegalArgumentException("usage: DIR --grpc HOST:PORT [--tenant T]");
    if (tenant.contains("/")) throw new IllegalArgumentException("a tenant is one name, not " + tenant);
    int colon = grpc.lastIndexOf(':');
    if (colon < 0) throw new IllegalArgumentException("--grpc wants HOST:PORT, not " + grpc);
    FuseSettings settings = FuseSettings.from(ConfigFactory.load());
    Path spoolDir = settings.spoolDir() != null ? settings.spoolDir()
        : Path.of(System.getProperty("java.io.tmpdir"), "tensorfs-fuse-" + ProcessHandle.current().pid());
    Files.createDirectories(spoolDir);
    TfsClient client = TfsClient.connect(grpc.substring(0, colon), Integer.parseInt(grpc.substring(colon + 1)), null);
    NodeCalls node = new NodeCalls(client, settings);
    WindowPool pool = new WindowPool(settings.readWindowBytes(), settings.readWindows(), client.local());
    TensorfsFileSystem fs = new TensorfsFileSystem(node, new FileTable(node, settings, pool, spoolDir),
        tenant.isEmpty() ? "" : "/" + tenant);
    int cache = settings.kernelCacheSeconds();
    // hard_remove: an unlink reaches the file system even while the file is open (libfuse would otherwise rename it
    // to a hidden name, which keeps its directory from being removed); the open handles keep the bytes (OpenFile).
    String[] options = {"-o", "fsname=tensorfs,subtype=tensorfs,allow_other,default_permissions,big_writes,hard_remove,"
        + "attr_timeout=" + cache + ",entry_timeout=" + cache + ",negative_timeout=0"};
    LOG.info("mounting {} on {} (node {}, local channel: {})", tenant.isEmpty() ? "/" : "/" + tenant, dir, grpc, client.local());
    try {
      fs.mount(Path.of(dir), true, false, options);
    } finally {
      fs.umount();
      pool.close();
      node.close();
      client.close();
      deleteTree(spoolDir);
      LOG.info("unmounted {}", dir);
    }
    return 0;
  }

  private static String value(String[] args, int i, String name) {
    if (i >= args.length) throw new IllegalArgumentException(name + " wants a value");
    return args[i];
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
