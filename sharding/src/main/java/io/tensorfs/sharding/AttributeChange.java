package io.tensorfs.sharding;

import io.tensorfs.core.CborSerializable;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A change of a file's or an explicit directory's {@link FileAttributes} without new bytes: chmod
 * ({@code mode}), chown ({@code uid}, {@code gid}), utimens ({@code mtimeMillis}) and an S3 metadata
 * replace ({@code contentType}, {@code user}: the whole map). An empty field keeps what is there; the MD5
 * never changes without new bytes. Immutable.
 */
public record AttributeChange(OptionalInt mode, OptionalInt uid, OptionalInt gid, OptionalLong mtimeMillis,
    Optional<String> contentType, Optional<Map<String, String>> user) implements CborSerializable {

  public AttributeChange {
    if (mode == null) mode = OptionalInt.empty();
    if (uid == null) uid = OptionalInt.empty();
    if (gid == null) gid = OptionalInt.empty();
    if (mtimeMillis == null) mtimeMillis = OptionalLong.empty();
    if (contentType == null) contentType = Optional.empty();
    if (user == null) user = Optional.empty();
    user = user.map(Map::copyOf);
    // Checked here, at the edge that builds the change, so that an entity never meets a bad one.
    new FileAttributes(mode.orElse(0), 0, 0, 0, contentType.orElse(""), "", user.orElse(Map.of()));
  }

  /** A change of nothing; add fields with the {@code with...} methods. */
  public static AttributeChange none() {
    return new AttributeChange(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalLong.empty(),
        Optional.empty(), Optional.empty());
  }

  public AttributeChange withMode(int mode) {
    return new AttributeChange(OptionalInt.of(mode), uid, gid, mtimeMillis, contentType, user);
  }

  public AttributeChange withOwner(int uid, int gid) {
    return new AttributeChange(mode, OptionalInt.of(uid), OptionalInt.of(gid), mtimeMillis, contentType, user);
  }

  public AttributeChange withUid(int uid) {
    return new AttributeChange(mode, OptionalInt.of(uid), gid, mtimeMillis, contentType, user);
  }

  public AttributeChange withGid(int gid) {
    return new AttributeChange(mode, uid, OptionalInt.of(gid), mtimeMillis, contentType, user);
  }

  public AttributeChange withMtime(long mtimeMillis) {
    return new AttributeChange(mode, uid, gid, OptionalLong.of(mtimeMillis), contentType, user);
  }

  public AttributeChange withContentType(String contentType) {
    return new AttributeChange(mode, uid, gid, mtimeMillis, Optional.of(contentType), user);
  }

  public AttributeChange withUser(Map<String, String> user) {
    return new AttributeChange(mode, uid, gid, mtimeMillis, contentType, Optional.of(user));
  }

  /** True when the change names no field. */
  public boolean isEmpty() {
    return mode.isEmpty() && uid.isEmpty() && gid.isEmpty() && mtimeMillis.isEmpty() && contentType.isEmpty()
        && user.isEmpty();
  }
}
