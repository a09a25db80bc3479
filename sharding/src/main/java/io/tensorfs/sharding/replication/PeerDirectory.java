package io.tensorfs.sharding.replication;

import io.tensorfs.core.CborSerializable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One per node: registers under {@link #KEY}, watches the other nodes' directories through the
 * Receptionist and trades introductions with each (node id, transport endpoint, stores). A node whose
 * directory leaves the reachable listing (unreachable, downed, removed) leaves {@link Peers} at once.
 * Control messages only.
 */
public final class PeerDirectory extends AbstractBehavior<PeerDirectory.Command> {
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "tensorfs-peers");

  public sealed interface Command {}

  /** A node introducing itself to another's directory. */
  public record Introduce(String nodeId, String endpoint, List<String> storeIds, ActorRef<Command> from,
      boolean answer) implements Command, CborSerializable {}

  private record ListingChanged(Set<ActorRef<Command>> reachable) implements Command {}

  private final Peers peers;
  private final Introduce self;
  private final Map<ActorRef<Command>, Peers.PeerInfo> known = new HashMap<>();
  private Set<ActorRef<Command>> listed = Set.of();

  public static Behavior<Command> create(Peers peers, String endpoint, List<String> storeIds) {
    return Behaviors.setup(context -> {
      ActorRef<Receptionist.Listing> adapter = context.messageAdapter(Receptionist.Listing.class,
          l -> new ListingChanged(l.getServiceInstances(KEY)));
      context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
      context.getSystem().receptionist().tell(Receptionist.subscribe(KEY, adapter));
      return new PeerDirectory(context, peers, new Introduce(peers.selfId(), endpoint, storeIds, context.getSelf(), true));
    });
  }

  private PeerDirectory(ActorContext<Command> context, Peers peers, Introduce self) {
    super(context);
    this.peers = peers;
    this.self = self;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ListingChanged.class, this::onListing)
        .onMessage(Introduce.class, this::onIntroduce)
        .build();
  }

  private Behavior<Command> onListing(ListingChanged changed) {
    for (ActorRef<Command> ref : changed.reachable()) {
      if (!listed.contains(ref) && !ref.equals(getContext().getSelf())) ref.tell(self);
    }
    Set<ActorRef<Command>> gone = new HashSet<>(listed);
    gone.removeAll(changed.reachable());
    known.keySet().removeAll(gone);
    listed = Set.copyOf(changed.reachable());
    publish();
    return this;
  }

  private Behavior<Command> onIntroduce(Introduce m) {
    if (m.nodeId().equals(self.nodeId())) return this;
    // An introduction can arrive before the listing that names its sender: keep it for then.
    known.put(m.from(), new Peers.PeerInfo(m.nodeId(), m.endpoint(), m.storeIds()));
    if (m.answer()) m.from().tell(new Introduce(self.nodeId(), self.endpoint(), self.storeIds(), self.from(), false));
    publish();
    return this;
  }

  private void publish() {
    Map<String, Peers.PeerInfo> view = new HashMap<>();
    for (var e : known.entrySet()) {
      if (listed.contains(e.getKey())) view.put(e.getValue().nodeId(), e.getValue());
    }
    peers.update(view);
  }
}
