package io.tensorfs.core.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSecretTest {
  @TempDir Path dir;

  @Test
  void shouldCreateAnOwnerOnlySecretOnceAndReadItBack() throws Exception {
    Path file = dir.resolve("sub/cluster.secret");
    ClusterSecret made = ClusterSecret.loadOrCreate(file);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(ClusterSecret.KEY_BYTES, made.key().length);
    assertEquals(made, ClusterSecret.loadOrCreate(file));
    assertArrayEquals(made.key(), ClusterSecret.load(file).key());
    try (var files = Files.list(file.getParent())) {
      assertEquals(List.of(file), files.toList(), "no temporary file is left beside the secret");
    }
  }

  @Test
  void shouldGiveNodesStartingAtOnceTheSameSecret() throws Exception {
    Path file = dir.resolve("cluster.secret");
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<ClusterSecret>> made = new ArrayList<>();
      for (int i = 0; i < 3; i++) made.add(pool.submit((Callable<ClusterSecret>) () -> ClusterSecret.loadOrCreate(file)));
      ClusterSecret first = made.get(0).get();
      for (Future<ClusterSecret> f : made) assertEquals(first, f.get());
      assertEquals(first, ClusterSecret.load(file));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldRefuseASecretReadableByOthers() throws Exception {
    Path file = dir.resolve("cluster.secret");
    ClusterSecret.loadOrCreate(file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ClusterSecret.loadOrCreate(file));
    assertTrue(e.getMessage().contains("readable by others") && e.getMessage().contains("chmod 600"), e.getMessage());
  }

  @Test
  void shouldRefuseAMalformedSecret() throws Exception {
    Path file = dir.resolve("cluster.secret");
    Files.writeString(file, "not a key store");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ClusterSecret.loadOrCreate(file));
    assertTrue(e.getMessage().contains("is malformed"), e.getMessage());
    assertEquals("not a key store", Files.readString(file), "a malformed secret is left as it was");
  }

  @Test
  void shouldHoldATlsKeyTrustingOnlyItsOwnCertificate() throws Exception {
    Path file = dir.resolve("cluster.secret");
    ClusterSecret.loadOrCreate(file);
    KeyStore store = KeyStore.getInstance(ClusterSecret.STORE_TYPE);
    try (InputStream in = Files.newInputStream(file)) {
      store.load(in, ClusterSecret.STORE_PASSWORD.toCharArray());
    }
    // The same store serves as key store and trust store of remoting's TLS (Pekko's ConfigSSLEngineProvider).
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, ClusterSecret.STORE_PASSWORD.toCharArray());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    X509TrustManager trust = (X509TrustManager) tmf.getTrustManagers()[0];
    assertEquals(1, trust.getAcceptedIssuers().length);
    assertEquals(store.getCertificate(ClusterSecret.TLS_ALIAS), trust.getAcceptedIssuers()[0]);
    assertFalse(ClusterSecret.randomKey().equals(ClusterSecret.load(file)));
  }
}
