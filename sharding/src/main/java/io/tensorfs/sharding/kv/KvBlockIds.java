package io.tensorfs.sharding.kv;

import io.tensorfs.core.FileId;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * New block ids for one node's run: 64 random bits drawn once at start, then a counter. Unique within the
 * run without a random draw per put (the shared secure random is a lock every put would take), and unlike
 * any id of another node or another run of this one but for a chance of 2^-64. Thread-safe.
 */
final class KvBlockIds {
  private final String prefix;
  private final AtomicLong next = new AtomicLong();

  KvBlockIds() {
    this.prefix = hex16(new SecureRandom().nextLong());
  }

  FileId next() {
    return new FileId(prefix + hex16(next.getAndIncrement()));
  }

  private static String hex16(long v) {
    String h = Long.toHexString(v);
    return "0".repeat(16 - h.length()) + h;
  }
}
