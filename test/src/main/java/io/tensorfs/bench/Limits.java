package io.tensorfs.bench;

import com.sun.nio.file.ExtendedOpenOption;
import io.tensorfs.core.memory.PagePool;
import io.tensorfs.core.memory.PagePoolSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The physical limits a benchmark compares against, measured in the same run on the same bytes:
 * a plain loopback TCP copy, and O_DIRECT sequential write and read of a file.
 */
final class Limits {
  static final int IO_BYTES = 4 << 20;

  private Limits() {}

  /** Seconds to copy {@code size} bytes over one loopback TCP connection, reader and writer in this JVM. */
  static double loopbackSeconds(ByteBuffer pattern, long size) throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> drain(server));
      long t0 = System.nanoTime();
      try (SocketChannel ch = SocketChannel.open(server.getLocalAddress())) {
        RawHttp.writeCycled(ch, pattern, size);
      }
      long got = reader.get();
      double s = (System.nanoTime() - t0) / 1e9;
      if (got != size) throw new IOException("loopback copied " + got + " of " + size);
      return s;
    }
  }

  /**
   * Seconds to copy {@code perStream} bytes over each of {@code streams} loopback TCP connections at once
   * (a writer and a reader thread each, all in this JVM): the host's socket copy limit for that many flows.
   */
  static double loopbackParallelSeconds(ByteBuffer pattern, long perStream, int streams) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2 * streams);
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), streams);
      List<Future<Long>> readers = new ArrayList<>();
      for (int i = 0; i < streams; i++) readers.add(pool.submit(() -> drain(server)));
      long t0 = System.nanoTime();
      List<Future<?>> writers = new ArrayList<>();
      for (int i = 0; i < streams; i++) {
        writers.add(pool.submit(() -> {
          try (SocketChannel ch = SocketChannel.open(server.getLocalAddress())) {
            RawHttp.writeCycled(ch, pattern, perStream);
          }
          return null;
        }));
      }
      for (Future<?> w : writers) w.get();
      long got = 0;
      for (Future<Long> r : readers) got += r.get();
      double s = (System.nanoTime() - t0) / 1e9;
      if (got != perStream * streams) throw new IOException("loopback copied " + got + " of " + perStream * streams);
      return s;
    } finally {
      pool.shutdownNow();
    }
  }

  private static long drain(ServerSocketChannel server) {
    try (SocketChannel ch = server.accept()) {
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      long got = 0;
      for (int n; (n = ch.read(buf)) >= 0; buf.clear()) got += n;
      return got;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Seconds to write {@code size} bytes with O_DIRECT and fsync them. */
  static double directWriteSeconds(Path file, ByteBuffer alignedPattern, long size) throws IOException {
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING, ExtendedOpenOption.DIRECT)) {
      long pos = 0;
      while (pos < size) {
        ByteBuffer b = alignedPattern.duplicate().clear();
        b.limit((int) Math.min(IO_BYTES, size - pos));
        while (b.hasRemaining()) pos += ch.write(b, pos);
      }
      ch.force(true);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /**
   * A direct buffer of {@code bytes} (a power of two, 2 to 64 MiB) for O_DIRECT reads, in transparent huge
   * pages where the kernel offers them, as a node's serve region and page pool are. A read into 4 KiB pages
   * scattered in memory reaches a virtual disk as several requests of at most max_segments pages each (254
   * pages, about 1 MiB, on the 16-core host), each paying the disk's cost per request, so a limit read into
   * such a buffer moves with where the allocator happened to put its pages (1.0-2.6 GB/s there).
   */
  static ByteBuffer readBuffer(int bytes) {
    // A pool of one page (it logs the kind of memory it got); the view keeps the memory after the pool is gone.
    return PagePool.allocate(new PagePoolSettings(bytes, bytes, PagePoolSettings.HugePages.TRANSPARENT_OR_REGULAR,
        null, true)).regions().get(0);
  }

  /** Seconds to read a whole file with O_DIRECT, 4 MiB at a time (into {@link #readBuffer}). */
  static double directReadSeconds(Path file, long size) throws IOException {
    ByteBuffer buf = readBuffer(IO_BYTES);
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
      long pos = 0;
      while (pos < size) {
        buf.clear();
        int n = ch.read(buf, pos);
        if (n < 0) break;
        pos += n;
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }
}
