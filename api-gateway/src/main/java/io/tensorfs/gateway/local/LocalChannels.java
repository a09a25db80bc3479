package io.tensorfs.gateway.local;

import io.tensorfs.core.ErrorCode;
import io.tensorfs.core.TfsException;
import io.tensorfs.core.gpu.DeviceCopies;
import io.tensorfs.gateway.GatewaySettings;
import io.tensorfs.gateway.grpc.GrpcSettings;
import io.tensorfs.gateway.grpc.LocalAttach;
import io.tensorfs.gateway.grpc.internal.BatchIo;
import io.tensorfs.gateway.grpc.internal.SharedMemorySegments;
import io.tensorfs.gateway.grpc.internal.StagingBuffers;
import io.tensorfs.gateway.grpc.v1.AttachLocalReply;
import io.tensorfs.gateway.grpc.v1.AttachLocalRequest;
import io.tensorfs.gateway.local.internal.Channel;
import io.tensorfs.gateway.local.internal.ChannelAgent;
import io.tensorfs.gateway.local.internal.ChannelRing;
import io.tensorfs.gateway.local.internal.LocalOps;
import io.tensorfs.sharding.auth.Caller;
import io.tensorfs.sharding.operator.NodeOperator;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingIdleStrategy;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * The node's local channels: clients on this host attach a shared-memory file of submission and
 * completion rings (gRPC {@code AttachLocal}), and one agent thread ({@link ChannelAgent}, started with the
 * first attach) serves them all. Each channel's requests run as the caller that attached it. Thread-safe;
 * {@link #attach} maps the file on the shared-memory dispatcher.
 */
public final class LocalChannels implements LocalAttach, AutoCloseable {
  /** Channel files are segments of the node's namespace with this prefix: {@code tfs-ch-<pid>-<hex>}. */
  public static final String FILE_PREFIX = "tfs-ch-";

  private static final int BACKOFF_SPINS = 1_000;
  private static final int BACKOFF_YIELDS = 200;

  private final LocalSettings settings;
  private final String nodeId;
  private final Path directory;
  private final SharedMemorySegments segments;
  private final Executor segmentExecutor;
  private final ChannelAgent agent;
  private final AtomicLong ids = new AtomicLong();
  private AgentRunner runner;

  LocalChannels(LocalSettings settings, String nodeId, Path directory, SharedMemorySegments segments,
      Executor segmentExecutor, LocalOps ops, LongPredicate alive) {
    this.settings = settings;
    this.nodeId = nodeId;
    this.directory = directory;
    this.segments = segments;
    this.segmentExecutor = segmentExecutor;
    this.agent = new ChannelAgent(ops, System::nanoTime, alive, settings.livenessIntervalNs(),
        settings.heartbeatIntervalNs());
  }

  /**
   * The local channels of a node whose reads and writes go through {@code files} and whose GPU copies go
   * through {@code gpus}; settings from {@code tensorfs.local}, {@code tensorfs.gateway.grpc} (the
   * shared-memory directory, prefix and dispatcher) and {@code tensorfs.gateway}.
   */
  public static LocalChannels create(ActorSystem<?> system, NodeOperator files, DeviceCopies gpus) {
    return create(system, files, gpus, ChannelAgent::processAlive);
  }

  /** {@link #create(ActorSystem, NodeOperator, DeviceCopies)} with the given check of a client's process. */
  static LocalChannels create(ActorSystem<?> system, NodeOperator files, DeviceCopies gpus, LongPredicate alive) {
    LocalSettings settings = LocalSettings.fromConfig(system.settings().config());
    GrpcSettings grpc = GrpcSettings.fromConfig(system.settings().config());
    GatewaySettings gateway = GatewaySettings.fromConfig(system.settings().config());
    Executor segmentExecutor = system.dispatchers().lookup(DispatcherSelector.fromConfig(GrpcSettings.SHARED_MEMORY_DISPATCHER));
    SharedMemorySegments segments = new SharedMemorySegments(grpc.sharedMemoryDirectory(), grpc.sharedMemoryPrefix(),
        grpc.mappedSegments());
    BatchIo batch = new BatchIo(system, files, gpus, segments, segmentExecutor,
        new StagingBuffers(files.pages(), grpc.stagingBytes(), grpc.inFlightPerStream()),
        gateway.chunkSizeBytes(), gateway.maxFileSizeBytes());
    LocalOps ops = new LocalOps(files, gpus, batch, segments, segmentExecutor, system.executionContext(),
        settings.inlineReadMaxBytes());
    return new LocalChannels(settings, files.nodeId(), grpc.sharedMemoryDirectory(), segments, segmentExecutor, ops, alive);
  }

  /**
   * Maps the client's channel file and hands it to the agent. NOT_FOUND when the file is not on this host
   * (the client is elsewhere: it uses gRPC), BAD_REQUEST for a bad name, pid, header or nonce, UNAVAILABLE
   * when local channels are off or too many are attached.
   */
  @Override
  public CompletionStage<AttachLocalReply> attach(Caller caller, AttachLocalRequest request) {
    if (!settings.enabled()) {
      return CompletableFuture.failedFuture(new TfsException(ErrorCode.UNAVAILABLE, "local channels are off on this node"));
    }
    return CompletableFuture.supplyAsync(() -> open(caller, request), segmentExecutor);
  }

  private AttachLocalReply open(Caller caller, AttachLocalRequest request) {
    String name = segments.checkName(request.getShmName());
    if (!name.startsWith(FILE_PREFIX)) throw bad("a channel file's name starts with " + FILE_PREFIX + ": '" + name + "'");
    if (request.getPid() <= 0) throw bad("pid " + request.getPid());
    Path file = directory.resolve(name);
    MappedByteBuffer mapped = map(file, name);
    ChannelRing ring = ChannelRing.check(mapped, request.getNonce().toByteArray());
    long id = ids.incrementAndGet();
    agent.add(new Channel(id, caller, request.getPid(), name, file, mapped, ring), settings.maxChannels());
    startAgent();
    return AttachLocalReply.newBuilder().setChannelId(id).setNodeId(nodeId).build();
  }

  private static MappedByteBuffer map(Path file, String name) {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new TfsException(ErrorCode.NOT_FOUND, "no channel file " + name + " on this node's host");
    } catch (IOException e) {
      throw bad("cannot read channel file " + name + ": " + e.getMessage());
    }
    if (!attrs.isRegularFile()) throw bad(name + " is not a channel file");
    if (attrs.size() > Integer.MAX_VALUE) throw bad("channel file " + name + " is too large");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
      return ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size());
    } catch (IOException e) {
      throw bad("cannot map channel file " + name + ": " + e.getMessage());
    }
  }

  private synchronized void startAgent() {
    if (runner != null) return;
    runner = new AgentRunner(idleStrategy(settings), e -> org.slf4j.LoggerFactory.getLogger(LocalChannels.class)
        .error("local channel agent failed", e), null, agent);
    AgentRunner.startOnThread(runner, r -> {
      Thread t = new Thread(r, agent.roleName());
      t.setDaemon(true);
      return t;
    });
  }

  static IdleStrategy idleStrategy(LocalSettings s) {
    return switch (s.idleStrategy()) {
      case "busy-spin" -> new BusySpinIdleStrategy();
      case "sleeping" -> new SleepingIdleStrategy(s.maxParkNs());
      // Spin and yield for some tens of microseconds before the first park: a park lasts at least the
      // kernel's timer slack (50 us by default), which a client that sends its next request a few
      // microseconds after the last completion would otherwise pay on every round trip.
      default -> new BackoffIdleStrategy(BACKOFF_SPINS, BACKOFF_YIELDS, 1_000, s.maxParkNs());
    };
  }

  /** Channels attached now. */
  public int attached() {
    return agent.attached();
  }

  /** Requests answered BAD_REQUEST (malformed records, bad elements or buffers) since the start. */
  public int malformed() {
    return agent.malformed();
  }

  /** Stops the agent; every channel is detached. */
  @Override
  public synchronized void close() {
    if (runner != null) runner.close();
  }

  private static TfsException bad(String message) {
    return new TfsException(ErrorCode.BAD_REQUEST, message);
  }
}
