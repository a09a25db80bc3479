package io.tensorfs.sharding.checkpoint;

import java.util.Optional;
import org.apache.pekko.util.ByteString;

/**
 * One element of a restore stream: an item's start (with its state) or bytes of the item started last,
 * in order.
 */
public record RestorePiece(Optional<Item> item, ByteString bytes) {}
