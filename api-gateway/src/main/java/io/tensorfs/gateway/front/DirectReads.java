package io.tensorfs.gateway.front;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Decides how to answer a file GET or HEAD without the full HTTP server.
 *
 * <p>The front door calls {@link #open} from a connection thread of its own and waits for the stage there,
 * so an implementation may complete it on any thread; it must not block the caller to compute the answer.
 */
public interface DirectReads {
  /**
   * Completes with a response to write, or empty to hand the request to the full server (errors, anything
   * unusual). Never fails for an ordinary error: empty instead. headers: names lower-case, repeated headers
   * joined with ", ".
   *
   * @param method    {@code GET} or {@code HEAD}
   * @param rawTarget the request target exactly as sent (one {@link #serves} accepted), still percent-encoded
   * @param headers   the request headers, names lower-case, repeated headers joined with ", "
   */
  CompletionStage<Optional<DirectResponse>> open(String method, String rawTarget, Map<String, String> headers);

  /**
   * Whether a GET or HEAD of {@code rawTarget} may be answered here at all (else it is relayed unasked):
   * by default the file API's targets, {@code /v1/files/...}.
   */
  default boolean serves(String rawTarget) {
    return rawTarget.startsWith(RequestHead.FILES_PREFIX);
  }
}
