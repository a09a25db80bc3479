package io.tensorfs.gateway.front;

import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;

/**
 * The front door's counts ({@link FrontStats}), read at every tick, each tagged with the API the door fronts
 * ({@code api}: http, s3): {@code tensorfs.gateway.front-connections{api,outcome}} (accepted, refused),
 * {@code tensorfs.gateway.front-responses{api,outcome}} (direct, forwarded, handed-off, cut-off) and
 * {@code tensorfs.gateway.front-open-connections{api}}. Its direct reads also count in
 * {@link io.tensorfs.gateway.metrics.RequestMetrics} as {@code api=front}.
 */
final class FrontMetrics {
  private FrontMetrics() {}

  static void register(FrontServer front) {
    Metrics.counter("tensorfs.gateway.front-connections", "Connections the front door accepted or refused (max-connections open)", Unit.NONE, Tags.of("api", front.api, "outcome", "accepted"), front,
        f -> f.stats().accepted());
    Metrics.counter("tensorfs.gateway.front-connections", "Connections the front door accepted or refused (max-connections open)", Unit.NONE, Tags.of("api", front.api, "outcome", "refused"), front,
        f -> f.stats().refused());
    Metrics.counter("tensorfs.gateway.front-responses", "Front door responses: written directly from the cache, forwarded to the full server one request at a time, handed off to it for the rest of the connection, or cut off after their head", Unit.NONE, Tags.of("api", front.api, "outcome", "direct"), front,
        f -> f.stats().direct());
    Metrics.counter("tensorfs.gateway.front-responses", "Front door responses: written directly from the cache, forwarded to the full server one request at a time, handed off to it for the rest of the connection, or cut off after their head", Unit.NONE, Tags.of("api", front.api, "outcome", "forwarded"), front,
        f -> f.stats().forwarded());
    Metrics.counter("tensorfs.gateway.front-responses", "Front door responses: written directly from the cache, forwarded to the full server one request at a time, handed off to it for the rest of the connection, or cut off after their head", Unit.NONE, Tags.of("api", front.api, "outcome", "handed-off"), front,
        f -> f.stats().handedOff());
    Metrics.counter("tensorfs.gateway.front-responses", "Front door responses: written directly from the cache, forwarded to the full server one request at a time, handed off to it for the rest of the connection, or cut off after their head", Unit.NONE, Tags.of("api", front.api, "outcome", "cut-off"), front,
        f -> f.stats().cutOff());
    Metrics.gauge("tensorfs.gateway.front-open-connections", "Connections the front door has open", Unit.NONE, Tags.of("api", front.api), front, f -> f.stats().open());
  }
}
