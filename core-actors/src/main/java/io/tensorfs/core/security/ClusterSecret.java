package io.tensorfs.core.security;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret every node of one cluster holds, and nothing else does: a PKCS12 key store, readable only by
 * its owner, with two entries.
 *
 * <ul>
 *   <li>{@value #TLS_ALIAS}: an RSA key and its self-signed certificate, shared by every member. Cluster
 *       remoting runs over mutual TLS that trusts only this certificate.
 *   <li>{@value #HMAC_ALIAS}: 32 random bytes, the key of the chunk transport's HMAC-SHA256 handshakes and
 *       signed requests.
 * </ul>
 *
 * The store's password is the fixed {@link #STORE_PASSWORD}: what protects the secret is the file's owner-only
 * mode, which {@link #load} insists on. {@link #loadOrCreate} makes the file when it is absent, race-free
 * between nodes starting at once: the whole file is written under a temporary name, then hard-linked to
 * its name; a node that loses the race reads the winner's. Immutable and thread-safe.
 */
public final class ClusterSecret {
  public static final String TLS_ALIAS = "tls";
  public static final String HMAC_ALIAS = "hmac";
  public static final String STORE_TYPE = "PKCS12";
  public static final String STORE_PASSWORD = "tensorfs-cluster";
  public static final int KEY_BYTES = 32;

  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  private static final long KEYTOOL_TIMEOUT_S = 60;

  private final byte[] key;
  private final Path file;

  private ClusterSecret(byte[] key, Path file) {
    if (key.length != KEY_BYTES) throw new IllegalArgumentException("a cluster key has " + KEY_BYTES + " bytes, not " + key.length);
    this.key = key.clone();
    this.file = file;
  }

  /** A key held only in memory, with no TLS material: for tests and benchmarks of the chunk transport. */
  public static ClusterSecret ofKey(byte[] key) {
    return new ClusterSecret(key, null);
  }

  /** A fresh random key held only in memory. */
  public static ClusterSecret randomKey() {
    byte[] key = new byte[KEY_BYTES];
    new SecureRandom().nextBytes(key);
    return new ClusterSecret(key, null);
  }

  /** The 32-byte HMAC key (a copy). */
  public byte[] key() {
    return key.clone();
  }

  /** The key store the secret was read from; empty for a key held only in memory. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  /** Reads {@code file}, creating it first when it does not exist. Blocks (file I/O, keytool once). */
  public static ClusterSecret loadOrCreate(Path file) {
    Path target = file.toAbsolutePath();
    if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) create(target);
    return load(target);
  }

  /**
   * Reads {@code file}; throws {@link IllegalStateException} naming the file and what is wrong when it is
   * missing, readable by others than its owner, or not a cluster secret.
   */
  public static ClusterSecret load(Path file) {
    Path target = file.toAbsolutePath();
    checkOwnerOnly(target);
    KeyStore store;
    try (InputStream in = Files.newInputStream(target)) {
      store = KeyStore.getInstance(STORE_TYPE);
      store.load(in, STORE_PASSWORD.toCharArray());
    } catch (NoSuchFileException e) {
      throw new IllegalStateException("cluster secret " + target + " does not exist");
    } catch (IOException | GeneralSecurityException e) {
      throw malformed(target, e.toString());
    }
    try {
      if (!(store.getKey(HMAC_ALIAS, STORE_PASSWORD.toCharArray()) instanceof SecretKey secret)
          || secret.getEncoded() == null || secret.getEncoded().length != KEY_BYTES) {
        throw malformed(target, "no " + KEY_BYTES + "-byte key '" + HMAC_ALIAS + "'");
      }
      Certificate cert = store.getCertificate(TLS_ALIAS);
      if (!store.isKeyEntry(TLS_ALIAS) || cert == null) throw malformed(target, "no TLS key and certificate '" + TLS_ALIAS + "'");
      return new ClusterSecret(secret.getEncoded(), target);
    } catch (GeneralSecurityException e) {
      throw malformed(target, e.toString());
    }
  }

  private static IllegalStateException malformed(Path file, String why) {
    return new IllegalStateException("cluster secret " + file + " is malformed (" + why + "); it must be the "
        + STORE_TYPE + " key store a node created (copy it from a node of the cluster, or remove it to make a new cluster)");
  }

  private static void checkOwnerOnly(Path file) {
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (NoSuchFileException e) {
      throw new IllegalStateException("cluster secret " + file + " does not exist");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the permissions of cluster secret " + file, e);
    } catch (UnsupportedOperationException e) {
      return; // no POSIX permissions on this file system: nothing to check
    }
    for (PosixFilePermission p : perms) {
      if (!p.name().startsWith("OWNER_")) {
        throw new IllegalStateException("cluster secret " + file + " is readable by others ("
            + PosixFilePermissions.toString(perms) + "); make it owner-only: chmod 600 " + file);
      }
    }
  }

  // ---- creating ----

  private static void create(Path target) {
    Path dir = target.getParent();
    Path work = null;
    try {
      Files.createDirectories(dir);
      work = Files.createTempDirectory(dir, ".cluster-secret-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Path tls = work.resolve("tls.p12");
      keytool(tls);
      KeyStore store = KeyStore.getInstance(STORE_TYPE);
      try (InputStream in = Files.newInputStream(tls)) {
        store.load(in, STORE_PASSWORD.toCharArray());
      }
      byte[] key = new byte[KEY_BYTES];
      new SecureRandom().nextBytes(key);
      store.setEntry(HMAC_ALIAS, new KeyStore.SecretKeyEntry(new SecretKeySpec(key, "HmacSHA256")),
          new KeyStore.PasswordProtection(STORE_PASSWORD.toCharArray()));
      Path complete = work.resolve("cluster.secret");
      Files.createFile(complete, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      try (OutputStream out = Files.newOutputStream(complete, StandardOpenOption.WRITE)) {
        store.store(out, STORE_PASSWORD.toCharArray());
      }
      try {
        Files.createLink(target, complete);
      } catch (FileAlreadyExistsException lost) {
        // another node made it first: every node reads the winner's
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot create cluster secret " + target + ": " + e, e);
    } finally {
      if (work != null) removeQuietly(work);
    }
  }

  /** Generates the TLS key pair and self-signed certificate with the JDK's keytool. */
  private static void keytool(Path store) throws IOException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command = List.of(keytool.toString(), "-genkeypair", "-alias", TLS_ALIAS, "-keyalg", "RSA", "-keysize", "2048",
        "-sigalg", "SHA256withRSA", "-dname", "CN=tensorfs-cluster", "-validity", "36500", "-storetype", STORE_TYPE,
        "-keystore", store.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD, "-noprompt");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output;
    try (InputStream in = p.getInputStream()) {
      output = new String(in.readAllBytes()).trim();
    }
    try {
      if (!p.waitFor(KEYTOOL_TIMEOUT_S, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("keytool did not finish within " + KEYTOOL_TIMEOUT_S + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while keytool ran", e);
    }
    if (p.exitValue() != 0) throw new IOException(keytool + " failed (exit " + p.exitValue() + "): " + output);
  }

  private static void removeQuietly(Path dir) {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      // a temporary directory left behind holds nothing the cluster uses
    }
  }

  @Override
  public String toString() {
    return "ClusterSecret(" + (file == null ? "in memory" : file) + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClusterSecret other && Arrays.equals(key, other.key);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key);
  }
}
