package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a file (or an explicit directory) carries besides its bytes: POSIX mode and owner, modification
 * time, and the S3 object's content type, MD5 and user metadata. Set by the writer at put time, changed
 * later by {@link AttributeChange}. Immutable; every field has a default ({@link #defaults()}).
 *
 * @param mode        POSIX permission bits (07777 at most); 0644 for files, 0755 for directories by default
 * @param uid         owner, 0 by default
 * @param gid         group, 0 by default
 * @param mtimeMillis modification time in milliseconds since the epoch; 0 in a put means "the seal time"
 * @param contentType the S3 Content-Type; "" = none
 * @param md5Hex      lower-case hex MD5 of the bytes as the writer computed it (the S3 ETag; "hex-N" for a
 *                    multipart upload); "" = unknown. Stored as given, never checked here.
 * @param user        S3 user metadata ({@code x-amz-meta-*} without the prefix), names lower-case
 */
public record FileAttributes(int mode, int uid, int gid, long mtimeMillis, String contentType, String md5Hex,
    Map<String, String> user) implements CborSerializable {

  /** The mode of a file nobody chose one for. */
  public static final int FILE_MODE = 0644;
  /** The mode of a directory nobody chose one for. */
  public static final int DIR_MODE = 0755;
  /** The largest user metadata accepted, names and values together, in bytes (S3's own limit is 2 KiB). */
  public static final int MAX_USER_BYTES = 8192;
  /** The longest content type or MD5 text kept. */
  public static final int MAX_TEXT = 1024;

  private static final FileAttributes FILE = new FileAttributes(FILE_MODE, 0, 0, 0, "", "", Map.of());
  private static final FileAttributes DIR = new FileAttributes(DIR_MODE, 0, 0, 0, "", "", Map.of());

  public FileAttributes {
    if (mode < 0 || mode > 07777) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "mode must be 0..07777, not 0" + Integer.toOctalString(mode));
    }
    if (contentType == null) contentType = "";
    if (md5Hex == null) md5Hex = "";
    if (contentType.length() > MAX_TEXT) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "a content type of more than " + MAX_TEXT + " characters");
    }
    if (md5Hex.length() > MAX_TEXT) {
      throw new TfsException(ErrorCode.BAD_REQUEST, "an MD5 of more than " + MAX_TEXT + " characters");
    }
    if (user == null || user.isEmpty()) {
      user = Map.of();
    } else {
      TreeMap<String, String> lower = new TreeMap<>();
      int bytes = 0;
      for (Map.Entry<String, String> e : user.entrySet()) {
        String name = e.getKey().toLowerCase(Locale.ROOT);
        String value = e.getValue() == null ? "" : e.getValue();
        bytes += name.length() + value.length();
        lower.put(name, value);
      }
      if (bytes > MAX_USER_BYTES) {
        throw new TfsException(ErrorCode.BAD_REQUEST, "user metadata holds " + bytes + " bytes; at most "
            + MAX_USER_BYTES + " are kept");
      }
      user = Map.copyOf(lower);
    }
  }

  /** A file's attributes when the writer gives none: 0644, owner 0:0, mtime = the seal time, no S3 fields. */
  public static FileAttributes defaults() {
    return FILE;
  }

  /** A directory's attributes when nobody chose any: 0755, owner 0:0, mtime unknown (0). */
  public static FileAttributes directoryDefaults() {
    return DIR;
  }

  public FileAttributes withMode(int mode) {
    return new FileAttributes(mode, uid, gid, mtimeMillis, contentType, md5Hex, user);
  }

  public FileAttributes withOwner(int uid, int gid) {
    return new FileAttributes(mode, uid, gid, mtimeMillis, contentType, md5Hex, user);
  }

  public FileAttributes withMtime(long mtimeMillis) {
    return new FileAttributes(mode, uid, gid, mtimeMillis, contentType, md5Hex, user);
  }

  public FileAttributes withContentType(String contentType) {
    return new FileAttributes(mode, uid, gid, mtimeMillis, contentType, md5Hex, user);
  }

  public FileAttributes withMd5Hex(String md5Hex) {
    return new FileAttributes(mode, uid, gid, mtimeMillis, contentType, md5Hex, user);
  }

  public FileAttributes withUser(Map<String, String> user) {
    return new FileAttributes(mode, uid, gid, mtimeMillis, contentType, md5Hex, user);
  }

  /** These attributes with {@code change} applied: each field it names replaces the one here. */
  public FileAttributes with(AttributeChange change) {
    return new FileAttributes(change.mode().orElse(mode), change.uid().orElse(uid), change.gid().orElse(gid),
        change.mtimeMillis().orElse(mtimeMillis), change.contentType().orElse(contentType), md5Hex,
        change.user().orElse(user));
  }
}
