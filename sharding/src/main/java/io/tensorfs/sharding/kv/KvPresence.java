package io.tensorfs.sharding.kv;

import java.util.List;

/**
 * The answer of {@link KvBlocks#exists}: one flag per key asked, in order, and how many leading keys are
 * present (an inference engine reuses the blocks of the longest cached prefix). Immutable.
 */
public record KvPresence(List<Boolean> present, int prefix) {
  public KvPresence {
    present = List.copyOf(present);
  }

  public static KvPresence of(List<Boolean> present) {
    int prefix = 0;
    while (prefix < present.size() && present.get(prefix)) prefix++;
    return new KvPresence(present, prefix);
  }
}
