package io.tensorfs.gateway.grpc;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/** A POSIX shared-memory segment made the way a client makes one: a file in /dev/shm. */
final class TestSegment implements AutoCloseable {
  final String name;
  final Path file;

  TestSegment(long sizeBytes) throws IOException {
    this.name = "tfs-test-" + UUID.randomUUID();
    this.file = Path.of("/dev/shm", name);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(sizeBytes);
    }
  }

  void write(long offset, byte[] bytes) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      f.write(bytes);
    }
  }

  byte[] read(long offset, int length) throws IOException {
    byte[] out = new byte[length];
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      f.seek(offset);
      f.readFully(out);
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    Files.deleteIfExists(file);
  }
}
