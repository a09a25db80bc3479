package io.tensorfs.gateway.front;

import java.util.List;
import java.util.Map;

/**
 * A response the front door writes itself: the status line, these headers, and the body's bytes from
 * {@link #body()}. The front door adds {@code Content-Length}, {@code Date}, {@code Server} and
 * {@code Connection} itself. A response it cannot write as given (another status, a header it owns, a
 * header that is not valid HTTP) is closed and the request handed to the full server instead.
 */
public interface DirectResponse {
  /** 200 or 206. */
  int status();

  /** e.g. Content-Type, ETag, Content-Range, X-Tfs-Cache; not Content-Length/Connection/Date. */
  List<Map.Entry<String, String>> headers();

  /** The exact number of body bytes {@link #body()} yields, in bytes; also sent for HEAD. */
  long contentLength();

  /** Bytes to send; for HEAD the front closes it unread. */
  BodySource body();
}
