package io.tensorfs.sharding.kv;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * This node's KV parts, one per actor system: its settings, the blocks it holds (also served to the other
 * nodes by the chunk transport, in pages of the node's page pool) and its view of the cluster's index. A block evicted here is forgotten by
 * its index bucket. Built on first use; thread-safe.
 */
public final class KvNode implements Extension {
  private static final Id ID = new Id();

  private final KvSettings settings;
  private final KvIndex index;
  private final KvBlockStore blocks;
  private final KvBlockIds blockIds = new KvBlockIds();

  private KvNode(ActorSystem<?> system) {
    this.settings = KvSettings.fromConfig(system.settings().config());
    this.index = new KvIndex(system, settings);
    KvIndex forEvictions = index;
    this.blocks = new KvBlockStore(settings.memoryBytes(), settings.maxBlocks(),
        evicted -> forEvictions.forget(evicted.tenant(), evicted.key(), evicted.blockId()));
    KvMetrics.register(blocks);
  }

  /**
   * Gives the blocks their memory: pages of the node's page pool (the node's operator passes the chunk
   * cache's, which lends pages by evicting its own files). The first call wins; until it, puts fail UNAVAILABLE.
   */
  public void usePages(KvPages pages) {
    blocks.usePages(pages);
  }

  public static KvNode get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public KvSettings settings() {
    return settings;
  }

  public KvIndex index() {
    return index;
  }

  public KvBlockStore blocks() {
    return blocks;
  }

  /** A block id no put on any node has had (but for a chance of 2^-64). */
  public io.tensorfs.core.FileId newBlockId() {
    return blockIds.next();
  }

  private static final class Id extends ExtensionId<KvNode> {
    @Override
    public KvNode createExtension(ActorSystem<?> system) {
      return new KvNode(system);
    }
  }
}
