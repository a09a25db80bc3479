package io.tensorfs.core;

/** Where one replica of a chunk lives: a node and one of its stores (data directories). */
public record ReplicaLocation(String node, String store) implements CborSerializable {}
