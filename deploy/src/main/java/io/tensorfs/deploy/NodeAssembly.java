package io.tensorfs.deploy;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * What the guardian builds a node from, one part at a time and in this order: the data plane, the
 * background workers, the edges, then the steps to ready; the repair sweeps and the scrubber once ready. {@link NodeParts}
 * is the product; tests give small fakes. Each method is called once, on the actor that owns the part
 * (the data plane and the edges on the blocking dispatcher, so they may do I/O), never concurrently.
 */
interface NodeAssembly {
  /** Builds the data plane; its actors are spawned under {@code context}. */
  DataPlane dataPlane(ActorContext<?> context);

  /**
   * Starts the background workers that run from the start (read-demand reports, the memory replica
   * agent) under {@code context}, on the node's background {@code timer}; closing the result stops them.
   */
  AutoCloseable background(ActorContext<?> context, ScheduledExecutorService timer);

  /** Builds the edges and starts binding them. */
  Edges edges();

  /** The steps to ready, in order. */
  List<StartStep> startSteps();

  /** Starts the repair sweeps on {@code timer}; closing the result stops them. */
  AutoCloseable repairs(ScheduledExecutorService timer);

  /** Starts the scrubber's passes over this node's stores on {@code timer}; closing the result stops them. */
  AutoCloseable scrubber(ScheduledExecutorService timer);
}
