package io.tensorfs.sharding.admin;

import io.tensorfs.core.CborSerializable;
import io.tensorfs.sharding.events.NodeEvents;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A node's voice to the admin console, one per node, registered with the Receptionist under {@link #KEY}
 * and {@link #keyFor} its node id: it answers with the node's {@link NodeReport} and its recent
 * {@link MetricSeries}, samples the node's metrics every {@code sample-interval}, and introduces itself to
 * the other nodes' agents so that every node can name members by node id in its events. Its state (the
 * sample ring) is owned by its own thread; reports are read on the blocking dispatcher.
 */
public final class AdminAgent extends AbstractBehavior<AdminAgent.Command> {
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "tensorfs-admin");

  public sealed interface Command {}

  public record GetReport(ActorRef<NodeReport> replyTo) implements Command, CborSerializable {}

  public record GetSeries(long windowSeconds, ActorRef<MetricSeries> replyTo) implements Command, CborSerializable {}

  /** Another node's agent: the node {@code nodeId} is at cluster address {@code address}. */
  public record Hello(String address, String nodeId) implements Command, CborSerializable {}

  private enum Sample implements Command { INSTANCE }

  private record Listed(Receptionist.Listing listing) implements Command {}

  private final LocalFacts facts;
  private final AdminSettings settings;
  private final MetricRing ring;
  private final Executor blocking;
  private final NodeEvents events;
  private final Set<ActorRef<Command>> greeted = new HashSet<>();

  public static ServiceKey<Command> keyFor(String nodeId) {
    return ServiceKey.create(Command.class, "tensorfs-admin-" + nodeId);
  }

  public static Behavior<Command> create(LocalFacts facts, AdminSettings settings) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sample.INSTANCE, settings.sampleInterval());
      return new AdminAgent(context, facts, settings);
    }));
  }

  private AdminAgent(ActorContext<Command> context, LocalFacts facts, AdminSettings settings) {
    super(context);
    this.facts = facts;
    this.settings = settings;
    this.ring = new MetricRing(settings.samplesKept(), System.nanoTime());
    this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    this.events = NodeEvents.get(context.getSystem());
    events.learn(facts.address(), facts.nodeId());
    var receptionist = context.getSystem().receptionist();
    receptionist.tell(Receptionist.register(KEY, context.getSelf()));
    receptionist.tell(Receptionist.register(keyFor(facts.nodeId()), context.getSelf()));
    ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class, Listed::new);
    receptionist.tell(Receptionist.subscribe(KEY, listings));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GetReport.class, this::onGetReport)
        .onMessage(GetSeries.class, this::onGetSeries)
        .onMessage(Hello.class, this::onHello)
        .onMessageEquals(Sample.INSTANCE, this::onSample)
        .onMessage(Listed.class, this::onListed)
        .build();
  }

  private Behavior<Command> onGetReport(GetReport get) {
    CompletableFuture.supplyAsync(facts::report, blocking).whenComplete((report, e) -> get.replyTo().tell(
        e == null ? report : NodeReport.unanswered(facts.nodeId(), facts.address(), "report failed: " + e.getMessage())));
    return this;
  }

  private Behavior<Command> onGetSeries(GetSeries get) {
    long window = Math.min(Math.max(1, get.windowSeconds()), settings.seriesWindow().toSeconds());
    get.replyTo().tell(new MetricSeries(facts.nodeId(), settings.sampleInterval().toMillis() / 1000.0, window,
        ring.within(window, Instant.now())));
    return this;
  }

  private Behavior<Command> onHello(Hello hello) {
    events.learn(hello.address(), hello.nodeId());
    return this;
  }

  private Behavior<Command> onSample() {
    ring.sample(System.nanoTime(), Instant.now());
    return this;
  }

  /** Introduces this node to every agent that appeared since the last listing. */
  private Behavior<Command> onListed(Listed listed) {
    Set<ActorRef<Command>> now = listed.listing().getServiceInstances(KEY);
    greeted.retainAll(now);
    for (ActorRef<Command> agent : now) {
      if (!agent.equals(getContext().getSelf()) && greeted.add(agent)) {
        agent.tell(new Hello(facts.address(), facts.nodeId()));
      }
    }
    return this;
  }
}
