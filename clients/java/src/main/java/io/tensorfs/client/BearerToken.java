package io.tensorfs.client;

import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;

/**
 * The token a client sends with every call, as the metadata {@code authorization: Bearer <token>}: given to
 * the client, else the environment variable {@value #ENVIRONMENT}. Immutable; the token never appears in
 * {@link #toString()}.
 */
final class BearerToken {
  /** Where a client finds its token when none is given. */
  static final String ENVIRONMENT = "TFS_TOKEN";
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String token;

  private BearerToken(String token) {
    this.token = token;
  }

  /** {@code token}, or TFS_TOKEN when it is null; null when neither is set (calls then carry no token). */
  static BearerToken of(String token) {
    String t = token != null ? token : System.getenv(ENVIRONMENT);
    if (t == null || t.isBlank()) return null;
    if (t.strip().chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
      throw new IllegalArgumentException("a token is printable ASCII without spaces (tfs_<id>_<secret>)");
    }
    return new BearerToken(t.strip());
  }

  /** Adds the header to every call of a stub. */
  ClientInterceptor interceptor() {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }

  @Override
  public String toString() {
    return "BearerToken[hidden]";
  }
}
