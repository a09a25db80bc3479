package io.tensorfs.deploy.cassandra;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * The three TCP ports of one Cassandra node on 127.0.0.1: CQL (native transport), internode storage and
 * internode TLS storage.
 *
 * <p>Immutable; any thread.
 */
public record CassandraPorts(int cqlPort, int storagePort, int sslStoragePort) {

  private static final String CQL = "native_transport_port";
  private static final String STORAGE = "storage_port";
  private static final String SSL_STORAGE = "ssl_storage_port";

  /** Reads ports saved by {@link #save(Path)}; empty when the file is missing or unreadable. */
  public static Optional<CassandraPorts> load(Path file) {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
      return Optional.of(new CassandraPorts(
          Integer.parseInt(properties.getProperty(CQL)),
          Integer.parseInt(properties.getProperty(STORAGE)),
          Integer.parseInt(properties.getProperty(SSL_STORAGE))));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  public void save(Path file) {
    Properties properties = new Properties();
    properties.setProperty(CQL, Integer.toString(cqlPort));
    properties.setProperty(STORAGE, Integer.toString(storagePort));
    properties.setProperty(SSL_STORAGE, Integer.toString(sslStoragePort));
    try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      properties.store(writer, "ports of the embedded Cassandra");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
