package io.tensorfs.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.grpc.Metadata;
import io.tensorfs.gateway.grpc.v1.Status;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ClientErrorsTest {
  private static Throwable failed(io.grpc.Status status, String trailer) {
    Metadata trailers = new Metadata();
    if (trailer != null) trailers.put(ClientErrors.CODE, trailer);
    return status.asRuntimeException(trailers);
  }

  @Test
  void shouldCarryTheNodesCodeWhenTheTrailerNamesOne() {
    Throwable t = ClientErrors.translate(failed(io.grpc.Status.INVALID_ARGUMENT.withDescription("bad path /a//b"), "BAD_PATH"));
    TfsClientException e = assertInstanceOf(TfsClientException.class, t);
    assertEquals(Status.BAD_PATH, e.code());
    assertEquals("bad path /a//b", e.getMessage());
  }

  @Test
  void shouldFallBackToTheGrpcStatusWhenTheTrailerIsMissingOrUnknown() {
    assertEquals(Status.NOT_FOUND, code(failed(io.grpc.Status.NOT_FOUND, null)));
    assertEquals(Status.UNAVAILABLE, code(failed(io.grpc.Status.UNAVAILABLE, "A_CODE_FROM_A_NEWER_NODE")));
    assertEquals(Status.UNAVAILABLE, code(failed(io.grpc.Status.DEADLINE_EXCEEDED, "OK")));
    assertEquals(Status.CHECKSUM_MISMATCH, code(failed(io.grpc.Status.DATA_LOSS, null)));
    assertEquals(Status.INTERNAL, code(failed(io.grpc.Status.INTERNAL, null)));
  }

  @Test
  void shouldLeaveOtherFailuresAsTheyAreWhenNotFromGrpc() {
    IOException io = new IOException("disk");
    assertSame(io, ClientErrors.translate(io));
    TfsClientException already = new TfsClientException(Status.NO_SPACE, "full", null);
    assertSame(already, ClientErrors.translate(already));
  }

  private static Status code(Throwable grpcFailure) {
    return assertInstanceOf(TfsClientException.class, ClientErrors.translate(grpcFailure)).code();
  }
}
