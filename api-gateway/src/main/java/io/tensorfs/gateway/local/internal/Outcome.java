package io.tensorfs.gateway.local.internal;

import io.tensorfs.gateway.grpc.internal.Errors;

/** How one request ended: the proto {@code Status} number, the op's value, and a message when it failed. */
public record Outcome(int status, long value, String message) {
  public static Outcome ok(long value) {
    return new Outcome(0, value, "");
  }

  public static Outcome failed(Throwable error) {
    Errors.Failure f = Errors.of(error);
    return new Outcome(Errors.wire(f.code()).getNumber(), 0, f.message());
  }
}
