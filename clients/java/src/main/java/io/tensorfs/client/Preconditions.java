package io.tensorfs.client;

import io.tensorfs.gateway.grpc.v1.Precondition;

/**
 * The usual RFC 9110 preconditions of a write or delete, over a file's version number (its ETag).
 * Others are built with {@code Precondition.newBuilder()}: several versions, or both lists. Stateless.
 */
public final class Preconditions {
  private Preconditions() {}

  /** The change happens only if the file's current version is {@code version}. */
  public static Precondition ifMatch(long version) {
    return Precondition.newBuilder().addIfMatch(Long.toString(version)).build();
  }

  /** The change happens only if the file exists, at any version. */
  public static Precondition ifExists() {
    return Precondition.newBuilder().addIfMatch("*").build();
  }

  /** The change happens only if the file does not exist: create only. */
  public static Precondition ifAbsent() {
    return Precondition.newBuilder().addIfNoneMatch("*").build();
  }

  /** The change happens only if the file's current version is not {@code version}. */
  public static Precondition ifNoneMatch(long version) {
    return Precondition.newBuilder().addIfNoneMatch(Long.toString(version)).build();
  }
}
