package io.tensorfs.store;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * This node's stores, one {@link FileChunkStore} per configured directory (ids {@code d0, d1, ...}),
 * the node's {@link ReadLeases}, and the executor their file I/O runs on. Built once at start (it
 * creates the directories and tries direct I/O in each: a little blocking I/O). Thread-safe.
 */
public final class Stores {
  private final StoreSettings settings;
  private final Executor ioExecutor;
  private final ReadLeases leases = new ReadLeases();
  private final Map<String, ChunkStore> byId = new LinkedHashMap<>();

  /** From the {@code tensorfs.store} section of the system's config. */
  public static Stores create(ActorSystem<?> system) {
    return new Stores(StoreSettings.fromConfig(system.settings().config()), system);
  }

  public Stores(StoreSettings settings, ActorSystem<?> system) {
    this(settings, system, CorruptReplica.Listener.NONE);
  }

  /** @param corruption told of each corrupt replica any of the stores finds */
  public Stores(StoreSettings settings, ActorSystem<?> system, CorruptReplica.Listener corruption) {
    this(settings, system.dispatchers().lookup(DispatcherSelector.fromConfig(StoreSettings.IO_DISPATCHER)),
        corruption);
  }

  /** @param ioExecutor a bounded executor for blocking file I/O */
  public Stores(StoreSettings settings, Executor ioExecutor) {
    this(settings, ioExecutor, CorruptReplica.Listener.NONE);
  }

  public Stores(StoreSettings settings, Executor ioExecutor, CorruptReplica.Listener corruption) {
    this.settings = settings;
    this.ioExecutor = ioExecutor;
    for (int i = 0; i < settings.directories().size(); i++) {
      String id = StoreSettings.storeId(i);
      byId.put(id, new FileChunkStore(id, settings.directories().get(i), settings, ioExecutor, corruption));
    }
  }

  /** Every store, in the order of the configured directories. */
  public List<ChunkStore> all() {
    return List.copyOf(byId.values());
  }

  /** The store {@code id}; NOT_FOUND when this node has none of that id. */
  public ChunkStore byId(String id) {
    ChunkStore store = byId.get(id);
    if (store == null) throw new TfsException(ErrorCode.NOT_FOUND, "no store " + id + " on this node");
    return store;
  }

  public ReadLeases leases() {
    return leases;
  }

  /** The executor of the {@code tensorfs.store.io-dispatcher}: blocking file I/O only. */
  public Executor ioExecutor() {
    return ioExecutor;
  }

  public StoreSettings settings() {
    return settings;
  }
}
