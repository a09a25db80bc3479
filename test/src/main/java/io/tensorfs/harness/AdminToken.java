package io.tensorfs.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The admin token of a test cluster: the file its nodes write at first start
 * ({@link NodeProcess#adminTokenFile}, shared by the nodes whose data directories are siblings), read once the
 * node has started. Tests and benchmarks send it as {@code Authorization: Bearer <token>} (HTTP) or call
 * metadata (gRPC), or as {@code TFS_TOKEN} to the Python client. Stateless; any thread.
 */
public final class AdminToken {
  /** The environment variable the Python client and the launcher read a token from. */
  public static final String ENV = "TFS_TOKEN";

  private AdminToken() {}

  /** The admin token of {@code node}'s cluster; the node must have started (it writes the file). */
  public static String of(NodeProcess node) {
    return read(NodeProcess.adminTokenFile(node.dataDir()));
  }

  /** The token in {@code file}, without the white space around it. */
  public static String read(Path file) {
    try {
      String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
      if (token.isEmpty()) throw new IllegalStateException("the admin token file " + file + " is empty");
      return token;
    } catch (NoSuchFileException e) {
      throw new IllegalStateException("no admin token at " + file + ": a node of this cluster writes it when it"
          + " first starts; read it after start()", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the admin token at " + file, e);
    }
  }

  /** The value of the {@code Authorization} header (HTTP) or {@code authorization} metadata (gRPC). */
  public static String bearer(String token) {
    return "Bearer " + token;
  }
}
