package io.tensorfs.gateway.s3.internal;

import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.sharding.auth.Caller;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a caller's buckets and keys live: a tenant key's buckets are the top-level directories of its
 * tenant ({@code /T/<bucket>}), an admin key's are the top-level directories of the root (the tenants);
 * key {@code a/b} of bucket {@code k} is the file {@code <bucket dir>/a/b}. Multipart uploads in progress
 * are kept under {@code <root>/.s3-uploads/<bucket>/<upload id>/}, which no bucket listing shows (an admin key's
 * bucket is a tenant's directory: its listings skip that name, and no key may start with it).
 * Stateless.
 */
final class Namespace {
  static final String UPLOADS = ".s3-uploads";

  private Namespace() {}

  static TfsPath root(Caller caller) {
    return caller.admin() ? TfsPath.ROOT : new TfsPath(List.of(caller.tenant()));
  }

  /** The bucket's directory; InvalidBucketName for a name that cannot be one. */
  static TfsPath bucket(Caller caller, String bucket) {
    if (bucket.startsWith(".") || bucket.isEmpty()) {
      throw new S3Exception(400, "InvalidBucketName", "The specified bucket is not valid: " + bucket);
    }
    try {
      return root(caller).child(bucket);
    } catch (TfsException e) {
      throw new S3Exception(400, "InvalidBucketName", "The specified bucket is not valid: " + e.getMessage());
    }
  }

  /** The object's file; KeyNotValid (400) for a key that is no tensorfs path (an empty segment, '.', '..'). */
  static TfsPath object(TfsPath bucketDir, String key) {
    if (key.length() > 1024) throw new S3Exception(400, "KeyTooLongError", "Your key is too long");
    if (key.equals(UPLOADS) || key.startsWith(UPLOADS + "/")) {
      // An admin key's bucket is a tenant's directory, which holds that tenant's uploads in progress.
      throw new S3Exception(400, "KeyNotValid", "keys under '" + UPLOADS + "/' are reserved for multipart uploads");
    }
    List<String> segments = new ArrayList<>(bucketDir.segments());
    int from = 0;
    while (true) {
      int slash = key.indexOf('/', from);
      segments.add(slash < 0 ? key.substring(from) : key.substring(from, slash));
      if (slash < 0) break;
      from = slash + 1;
    }
    try {
      return new TfsPath(segments);
    } catch (TfsException e) {
      throw new S3Exception(400, "KeyNotValid", "tensorfs keeps keys as paths, so a key may not be empty, end "
          + "with '/', hold '//' or a '.' or '..' segment: '" + key + "' (" + e.getMessage() + ")");
    }
  }

  /** Whether {@code name} may be created as a bucket (S3's rules: 3–63 of a-z 0-9 . -, alphanumeric ends). */
  static boolean validNewBucket(String name) {
    if (name.length() < 3 || name.length() > 63) return false;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
    }
    char first = name.charAt(0);
    char last = name.charAt(name.length() - 1);
    if (first == '.' || first == '-' || last == '.' || last == '-') return false;
    if (name.contains("..") || name.contains(".-") || name.contains("-.")) return false;
    return !name.matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
  }

  static TfsPath uploads(Caller caller, String bucket) {
    return root(caller).child(UPLOADS).child(bucket);
  }
}
