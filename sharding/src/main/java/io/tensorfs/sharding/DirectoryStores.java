package io.tensorfs.sharding;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The {@link DirectoryStore} of one actor system. The node registers its Cassandra store before it starts
 * sharding; with {@code tensorfs.sharding.directories.store = memory} (tests) an in-memory one is made
 * on first use. Thread-safe.
 */
public final class DirectoryStores implements Extension {
  private static final Id ID = new Id();

  private final DirectorySettings settings;
  private final AtomicReference<DirectoryStore> store = new AtomicReference<>();

  private DirectoryStores(ActorSystem<?> system) {
    this.settings = DirectorySettings.from(system.settings().config());
  }

  public static DirectoryStores get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Makes {@code store} this system's; only before the first {@link #store()}. */
  public void register(DirectoryStore store) {
    if (!this.store.compareAndSet(null, store)) {
      throw new IllegalStateException("a directory store is registered already");
    }
  }

  /** The registered store, or for {@code memory} a new in-memory one; fails when none fits the settings. */
  public DirectoryStore store() {
    DirectoryStore registered = store.get();
    if (registered != null) return registered;
    if (!settings.store().equals(DirectorySettings.MEMORY)) {
      throw new IllegalStateException("tensorfs.sharding.directories.store = " + settings.store()
          + " but no such store was registered before sharding started");
    }
    store.compareAndSet(null, new InMemoryDirectoryStore());
    return store.get();
  }

  public DirectorySettings settings() {
    return settings;
  }

  private static final class Id extends ExtensionId<DirectoryStores> {
    @Override
    public DirectoryStores createExtension(ActorSystem<?> system) {
      return new DirectoryStores(system);
    }
  }
}
