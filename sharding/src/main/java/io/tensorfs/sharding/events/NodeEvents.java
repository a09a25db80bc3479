package io.tensorfs.sharding.events;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The node-wide event bus of the admin console. Any part publishes with
 * {@code NodeEvents.get(system).publish(NodeEvent.of(...))}: the event goes to every node of the cluster
 * (a Pekko pub-sub topic), where it joins that node's own view of membership (member events from Pekko
 * Cluster, seen by every node, so never sent between them). Each node keeps the last {@value #KEPT} events
 * it saw and replays them to a new subscriber. Thread-safe: the ring is guarded by this object; the topic
 * and the membership subscription run on two small system actors.
 */
public final class NodeEvents implements Extension {
  /** Events kept for replay. */
  public static final int KEPT = 100;
  private static final int SUBSCRIBER_BUFFER = 256;

  private static final ExtensionId<NodeEvents> ID = new ExtensionId<>() {
    @Override
    public NodeEvents createExtension(ActorSystem<?> system) {
      return new NodeEvents(system);
    }
  };

  private final ArrayDeque<NodeEvent> recent = new ArrayDeque<>();
  private final List<Consumer<NodeEvent>> subscribers = new CopyOnWriteArrayList<>();
  /** Cluster address to node id, learned from the nodes' reports, so member events name nodes by id. */
  private final Map<String, String> names = new ConcurrentHashMap<>();
  private final ActorRef<Topic.Command<NodeEvent>> topic;

  public static NodeEvents get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private NodeEvents(ActorSystem<?> system) {
    topic = system.systemActorOf(Topic.create(NodeEvent.class, "tensorfs-node-events"), "tensorfs-node-events",
        Props.empty());
    ActorRef<NodeEvent> inbox = system.systemActorOf(Behaviors.receive(NodeEvent.class)
        .onMessage(NodeEvent.class, e -> {
          record(e);
          return Behaviors.same();
        }).build(), "tensorfs-node-events-inbox", Props.empty());
    topic.tell(Topic.subscribe(inbox));
    system.systemActorOf(membership(), "tensorfs-member-events", Props.empty());
  }

  /** Sends {@code event} to every node's console (this one included). */
  public void publish(NodeEvent event) {
    topic.tell(Topic.publish(event));
  }

  /** Remembers that the member at cluster address {@code address} is the node {@code nodeId}. */
  public void learn(String address, String nodeId) {
    names.put(address, nodeId);
  }

  /** The node id of the member at {@code address}, or the address while it is not known. */
  public String nameOf(String address) {
    return names.getOrDefault(address, address);
  }

  /** The events kept for replay, oldest first. */
  public synchronized List<NodeEvent> recent() {
    return List.copyOf(recent);
  }

  /**
   * The kept events, then every later one as it arrives; a subscriber that falls {@value #SUBSCRIBER_BUFFER}
   * events behind loses the oldest. The subscription ends when the stream is cancelled.
   */
  public Source<NodeEvent, NotUsed> source() {
    return Source.<NodeEvent>queue(SUBSCRIBER_BUFFER, OverflowStrategy.dropHead())
        .mapMaterializedValue(queue -> {
          Consumer<NodeEvent> subscriber;
          synchronized (this) {
            for (NodeEvent e : recent) queue.offer(e);
            subscriber = queue::offer;
            subscribers.add(subscriber);
          }
          queue.watchCompletion().whenComplete((d, e) -> subscribers.remove(subscriber));
          return NotUsed.notUsed();
        })
        .map(this::named);
  }

  /** Streams subscribed now. */
  int subscriberCount() {
    return subscribers.size();
  }

  /** {@code e} naming its node by id where it was recorded by address before the id was learned. */
  private NodeEvent named(NodeEvent e) {
    String name = names.get(e.node());
    return name == null ? e : new NodeEvent(e.time(), e.kind(), name, e.detail());
  }

  private synchronized void record(NodeEvent event) {
    if (recent.size() == KEPT) recent.removeFirst();
    recent.addLast(event);
    for (Consumer<NodeEvent> s : subscribers) s.accept(event);
  }

  private Behavior<ClusterEvent.ClusterDomainEvent> membership() {
    return Behaviors.setup(context -> {
      Cluster.get(context.getSystem()).subscriptions().tell(
          Subscribe.create(context.getSelf(), ClusterEvent.ClusterDomainEvent.class));
      return Behaviors.receive(ClusterEvent.ClusterDomainEvent.class)
          .onMessage(ClusterEvent.ClusterDomainEvent.class, e -> {
            NodeEvent event = MemberEvents.toEvent(e, this::nameOf);
            if (event != null) record(event);
            return Behaviors.same();
          }).build();
    });
  }
}
