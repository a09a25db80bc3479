package io.tensorfs.store.cache;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.ChunkId;
import io.tensorfs.core.Failures;
import io.tensorfs.core.FileId;
import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.TfsPath;
import io.tensorfs.store.ChunkStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The face of a node's {@link ChunkCache} to the cluster: WILLNEED (warm), DONTNEED (drop), pin and
 * stats, asked by other nodes through the Receptionist under {@link #KEY}. It only coordinates: loads
 * run in the cache, on the stores' executors, and come back through pipeToSelf. No bytes pass here.
 */
public final class CacheActor extends AbstractBehavior<CacheActor.Command> {
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "tensorfs-cache");

  public sealed interface Command {}

  /**
   * One chunk to warm: the ids of this node's stores that hold it, in the order to try them (a store id
   * names a store of the node the message is sent to; this node's cache resolves it).
   */
  public record WarmChunk(ChunkId chunk, long lengthBytes, TfsPath owner, List<String> storeIds)
      implements CborSerializable {}

  /** Loads every chunk into the cache (WILLNEED); replies when all have ended. */
  public record Warm(List<WarmChunk> chunks, ActorRef<Warmed> replyTo) implements Command, CborSerializable {}

  /** @param firstError the first failure's message, or null when none failed */
  public record Warmed(String nodeId, int loaded, int failed, String firstError) implements CborSerializable {}

  /** Drops every chunk of the file from the cache (DONTNEED). */
  public record Drop(FileId file, ActorRef<Done> replyTo) implements Command, CborSerializable {}

  public record Pin(FileId file, boolean pinned, ActorRef<Done> replyTo) implements Command, CborSerializable {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command, CborSerializable {}

  public record Stats(String nodeId, CacheStats stats) implements CborSerializable {}

  private record WarmEnded(Warmed result, ActorRef<Warmed> replyTo) implements Command {}

  private final ChunkCache cache;
  private final String nodeId;

  /** The key under which only the cache of node {@code nodeId} registers: hints aimed at one node. */
  public static ServiceKey<Command> keyFor(String nodeId) {
    return ServiceKey.create(Command.class, "tensorfs-cache-" + nodeId);
  }

  public static Behavior<Command> create(ChunkCache cache, String nodeId) {
    return Behaviors.setup(context -> {
      context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
      context.getSystem().receptionist().tell(Receptionist.register(keyFor(nodeId), context.getSelf()));
      return new CacheActor(context, cache, nodeId);
    });
  }

  private CacheActor(ActorContext<Command> context, ChunkCache cache, String nodeId) {
    super(context);
    this.cache = cache;
    this.nodeId = nodeId;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Warm.class, this::onWarm)
        .onMessage(WarmEnded.class, this::onWarmEnded)
        .onMessage(Drop.class, this::onDrop)
        .onMessage(Pin.class, this::onPin)
        .onMessage(GetStats.class, this::onGetStats)
        .build();
  }

  private Behavior<Command> onWarm(Warm warm) {
    List<CompletableFuture<String>> loads = new ArrayList<>();
    for (WarmChunk c : warm.chunks()) loads.add(warmOne(c));
    CompletableFuture<Warmed> all = CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new))
        .thenApply(v -> summarize(loads));
    getContext().pipeToSelf(all, (warmed, failure) -> new WarmEnded(
        failure == null ? warmed : new Warmed(nodeId, 0, warm.chunks().size(), failure.toString()), warm.replyTo()));
    return this;
  }

  /** Completes with null when loaded, else with the failure's message; never exceptionally. */
  private CompletableFuture<String> warmOne(WarmChunk c) {
    CompletionStage<CachedChunk> load;
    try {
      load = cache.load(c.chunk(), c.lengthBytes(), c.owner(), localStores(c));
    } catch (RuntimeException e) {
      load = CompletableFuture.failedFuture(e);
    }
    return load.handle((chunk, failure) -> {
      if (failure == null) {
        chunk.release();
        return (String) null;
      }
      Throwable cause = Failures.unwrap(failure);
      return c.chunk() + ": " + TfsException.codeOf(cause) + " " + cause.getMessage();
    }).toCompletableFuture();
  }

  /**
   * The stores of this node a warm names, in order, leaving out ids this node has no store of;
   * NOT_FOUND when it has none of them.
   */
  private List<ChunkStore> localStores(WarmChunk c) {
    List<ChunkStore> out = new ArrayList<>();
    for (String id : c.storeIds()) {
      ChunkStore store = cache.store(id);
      if (store != null) out.add(store);
    }
    if (out.isEmpty() && !c.storeIds().isEmpty()) {
      throw new TfsException(ErrorCode.NOT_FOUND, "no store " + c.storeIds() + " on this node for chunk " + c.chunk());
    }
    return out;
  }

  private Warmed summarize(List<CompletableFuture<String>> loads) {
    int loaded = 0;
    int failed = 0;
    String first = null;
    for (CompletableFuture<String> load : loads) {
      String error = load.getNow(null); // all complete: allOf has
      if (error == null) {
        loaded++;
      } else {
        failed++;
        if (first == null) first = error;
      }
    }
    return new Warmed(nodeId, loaded, failed, first);
  }

  private Behavior<Command> onWarmEnded(WarmEnded ended) {
    ended.replyTo().tell(ended.result());
    return this;
  }

  private Behavior<Command> onDrop(Drop drop) {
    cache.drop(drop.file());
    drop.replyTo().tell(Done.done());
    return this;
  }

  private Behavior<Command> onPin(Pin pin) {
    if (pin.pinned()) {
      cache.pin(pin.file());
    } else {
      cache.unpin(pin.file());
    }
    pin.replyTo().tell(Done.done());
    return this;
  }

  private Behavior<Command> onGetStats(GetStats get) {
    get.replyTo().tell(new Stats(nodeId, cache.stats()));
    return this;
  }
}
