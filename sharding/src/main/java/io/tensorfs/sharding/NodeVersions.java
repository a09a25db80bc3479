package io.tensorfs.sharding;

import io.tensorfs.core.metrics.Metrics;
import io.tensorfs.core.metrics.Tags;
import io.tensorfs.core.metrics.Unit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;

/**
 * This node's version cache and the {@link VersionHolder} that keeps it current, one per actor system
 * (so one per node), built on first use. Its hits, misses and invalidations are metrics
 * ({@code tensorfs.versions.*}). Thread-safe.
 */
public final class NodeVersions implements Extension {
  private static final Id ID = new Id();

  private final ReadLeaseSettings settings;
  private final VersionCache cache;
  private final ActorRef<VersionHolder.Command> holder;

  private NodeVersions(ActorSystem<?> system) {
    this.settings = ReadLeaseSettings.from(system.settings().config());
    this.cache = new VersionCache(settings.leaseNanos(), settings.maxEntries(), System::nanoTime);
    this.holder = system.systemActorOf(VersionHolder.create(cache), "version-holder", Props.empty());
    Metrics.counter("tensorfs.versions.hits", "Reads that found their file's version in this node's version cache", Unit.NONE, Tags.EMPTY, cache, VersionCache::hits);
    Metrics.counter("tensorfs.versions.misses", "Reads that asked their file's entity for its version", Unit.NONE, Tags.EMPTY, cache, VersionCache::misses);
    Metrics.counter("tensorfs.versions.invalidations", "Versions this node was told are replaced or deleted", Unit.NONE, Tags.EMPTY, cache, VersionCache::invalidations);
    Metrics.gauge("tensorfs.versions.entries", "Paths in this node's version cache (versions and recent invalidations)", Unit.NONE, Tags.EMPTY, cache, VersionCache::size);
  }

  public static NodeVersions get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public ReadLeaseSettings settings() {
    return settings;
  }

  public VersionCache cache() {
    return cache;
  }

  /** The ref file entities record as this node's lease holder. */
  public ActorRef<VersionHolder.Command> holder() {
    return holder;
  }

  private static final class Id extends ExtensionId<NodeVersions> {
    @Override
    public NodeVersions createExtension(ActorSystem<?> system) {
      return new NodeVersions(system);
    }
  }
}
