package io.tensorfs.sharding.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenFileTest {
  @TempDir
  Path dir;

  @Test
  void shouldWriteAnOwnerOnlyFileOnceAndReadItAfter() throws IOException {
    Path file = dir.resolve("data/admin.token");
    TokenText written = AdminTokenFile.readOrCreate(file, new SecureRandom());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(written.text() + "\n", Files.readString(file));
    assertEquals(written, AdminTokenFile.readOrCreate(file, new SecureRandom()));
    try (var left = Files.list(file.getParent())) {
      assertEquals(List.of(file), left.toList(), "no temporary file left behind");
    }
  }

  @Test
  void shouldGiveNodesStartingAtOnceTheSameToken() throws Exception {
    Path file = dir.resolve("admin.token");
    int nodes = 8;
    CyclicBarrier start = new CyclicBarrier(nodes);
    ExecutorService pool = Executors.newFixedThreadPool(nodes);
    try {
      List<Future<TokenText>> all = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        all.add(pool.submit((Callable<TokenText>) () -> {
          start.await();
          return AdminTokenFile.readOrCreate(file, new SecureRandom());
        }));
      }
      Set<TokenText> seen = new HashSet<>();
      for (Future<TokenText> f : all) seen.add(f.get());
      assertEquals(Set.of(AdminTokenFile.read(file)), seen);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldRefuseAFileWithoutAToken() throws IOException {
    Path file = dir.resolve("admin.token");
    Files.writeString(file, "not a token\n");
    IOException e = assertThrows(IOException.class, () -> AdminTokenFile.readOrCreate(file, new SecureRandom()));
    assertEquals(true, e.getMessage().contains("does not hold a token"));
  }
}
