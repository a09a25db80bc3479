package io.tensorfs.gateway.local.internal;

import io.tensorfs.sharding.auth.Caller;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One attached channel: its mapped file and rings, the identity its requests run as, the client's process,
 * and the buffers it registered. The rings and {@link #busy} belong to the agent thread; the registry is
 * read by requests completing elsewhere, so it is concurrent. Once detached, nothing more is completed on it.
 */
public final class Channel {
  private final long id;
  private final Caller caller;
  private final long pid;
  private final String shmName;
  private final Path file;
  private final MappedByteBuffer mapped;
  private final ChannelRing ring;
  private final boolean[] busy;
  private final Map<Integer, Registered> buffers = new ConcurrentHashMap<>();
  private final AtomicInteger nextBufferId = new AtomicInteger(1);
  private volatile boolean detached;

  public Channel(long id, Caller caller, long pid, String shmName, Path file, MappedByteBuffer mapped, ChannelRing ring) {
    this.id = id;
    this.caller = caller;
    this.pid = pid;
    this.shmName = shmName;
    this.file = file;
    this.mapped = mapped;
    this.ring = ring;
    this.busy = new boolean[ring.slots()];
  }

  public long id() {
    return id;
  }

  public Caller caller() {
    return caller;
  }

  public long pid() {
    return pid;
  }

  public String shmName() {
    return shmName;
  }

  public Path file() {
    return file;
  }

  public MappedByteBuffer mapped() {
    return mapped;
  }

  public ChannelRing ring() {
    return ring;
  }

  /** Whether slot {@code k} has a request in flight (agent thread only). */
  boolean[] busy() {
    return busy;
  }

  public int register(Registered buffer) {
    int bufferId = nextBufferId.getAndIncrement();
    buffers.put(bufferId, buffer);
    return bufferId;
  }

  public Registered buffer(int bufferId) {
    return buffers.get(bufferId);
  }

  public boolean unregister(int bufferId) {
    return buffers.remove(bufferId) != null;
  }

  public int registered() {
    return buffers.size();
  }

  public boolean detached() {
    return detached;
  }

  /** Marks the channel detached and forgets its registrations. */
  void detach() {
    detached = true;
    buffers.clear();
  }
}
