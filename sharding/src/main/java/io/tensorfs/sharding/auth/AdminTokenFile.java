package io.tensorfs.sharding.auth;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * The admin token's file ({@code tensorfs.auth.admin-token-file}, the launcher's {@code data/admin.token}):
 * read when it exists, else written with a fresh token, readable by its owner only (0600). Nodes starting
 * at once may all find it absent: each writes its token to a temporary file and links it to the name
 * ({@link Files#createLink}, which fails when the name exists); the losers read the winner's, so every node
 * ends up with the same token. Called once at start, on a thread that may block.
 */
public final class AdminTokenFile {
  private AdminTokenFile() {}

  /** The token in {@code file}, written there first when the file is absent. */
  public static TokenText readOrCreate(Path file, SecureRandom random) throws IOException {
    if (!Files.exists(file)) {
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      TokenText fresh = TokenText.generate(random);
      Path temp = Files.createTempFile(dir, ".admin-token-", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
          out.write(StandardCharsets.US_ASCII.encode(fresh.text() + "\n"));
          out.force(true);
        }
        Files.createLink(file, temp);
        return fresh;
      } catch (FileAlreadyExistsException lost) {
        // Another node linked its token first: use that one.
      } finally {
        Files.deleteIfExists(temp);
      }
    }
    return read(file);
  }

  /** The token in {@code file}; IOException when it holds no token. */
  public static TokenText read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
    return TokenText.parse(text).orElseThrow(() -> new IOException(file + " does not hold a token (tfs_<id>_<secret>);"
        + " delete it and restart the node to have a new admin token written"));
  }
}
