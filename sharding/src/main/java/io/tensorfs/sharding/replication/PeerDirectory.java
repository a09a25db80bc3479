package io.tensorfs.sharding.replication;

import com.typesafe.config.Config;
import io.tensorfs.core.CborSerializable;
import io.tensorfs.core.TfsException;
import io.tensorfs.sharding.placement.StoreRoom;
import io.tensorfs.store.ChunkStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * One per node: registers under {@link #KEY}, watches the other nodes' directories through the
 * Receptionist and trades introductions with each (node id, transport endpoint, stores with their usable
 * bytes). Every {@code advertise-interval} it introduces itself again to every listed directory with its
 * stores' room read anew, so that placement elsewhere sees this node's free space a few seconds old at
 * most. It follows cluster membership to mark drained the nodes (this one included) whose member is
 * leaving, exiting or down. A node whose directory leaves the reachable listing (unreachable, downed,
 * removed) leaves {@link Peers} at once. Control messages only; reading the stores' room is a statvfs call
 * per store, cheap enough for the actor's thread.
 *
 * <p>It also counts the nodes that can hold replicas ({@link Peers#replicaNodes()}, which caps min-insync):
 * the members, this one included, that advertised at least one store, from their first introduction until
 * their member is removed, reachable or not; members leaving on purpose (leaving, exiting) are not counted.
 * Counting a member only once it advertised keeps a node that is joining from raising the bar before
 * placement can use it; keeping it while unreachable or down keeps a crash from lowering the bar before the
 * cluster has removed the node.
 */
public final class PeerDirectory extends AbstractBehavior<PeerDirectory.Command> {
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "tensorfs-peers");

  /** @param advertiseInterval how often this node sends its stores' room to the other nodes */
  public record Settings(Duration advertiseInterval) {
    public Settings {
      if (advertiseInterval.isNegative() || advertiseInterval.isZero()) {
        throw new IllegalArgumentException("tensorfs.sharding.peers.advertise-interval must be positive");
      }
    }

    public static Settings from(Config config) {
      return new Settings(config.getDuration("tensorfs.sharding.peers.advertise-interval"));
    }
  }

  public sealed interface Command {}

  /**
   * A node introducing itself to another's directory, or advertising its stores' room again.
   *
   * @param drained whether an operator drained the node: it takes no new replicas
   */
  public record Introduce(String nodeId, String endpoint, List<StoreRoom> stores, ActorRef<Command> from,
      boolean answer, boolean drained) implements Command, CborSerializable {}

  /** This node's drain state changed ({@link Peers#adminDrain}): introduce it to the others now. */
  public enum DrainChanged implements Command { INSTANCE }

  /**
   * Asks which members that are up and reachable, other than this node, this directory has not heard from
   * yet (their directory listed and introduced): until it has, placement here does not know all the room
   * there is. Answers their addresses; empty when it knows them all.
   */
  public record Unintroduced(ActorRef<Set<Address>> replyTo) implements Command, NoSerializationVerificationNeeded {}

  private record ListingChanged(Set<ActorRef<Command>> reachable) implements Command {}

  private record MembershipChanged(ClusterEvent.MemberEvent event) implements Command {}

  private enum Advertise implements Command { TICK }

  private static final Set<MemberStatus> DRAINED =
      Set.of(MemberStatus.leaving(), MemberStatus.exiting(), MemberStatus.down(), MemberStatus.removed());
  /** Members leaving on purpose: no longer counted as nodes that can hold replicas. */
  private static final Set<MemberStatus> DEPARTING =
      Set.of(MemberStatus.leaving(), MemberStatus.exiting(), MemberStatus.removed());

  private final Peers peers;
  private final String endpoint;
  private final List<ChunkStore> stores;
  private final Address selfAddress;
  private final Map<ActorRef<Command>, Peers.PeerInfo> known = new HashMap<>();
  private final Map<Address, MemberStatus> members = new HashMap<>();
  /** Every incarnation in the membership (a restarted node is a new one at the same address) and its status. */
  private final Map<UniqueAddress, MemberStatus> incarnations = new HashMap<>();
  /** The addresses whose node advertised at least one store (this node's, when it has one). */
  private final Set<Address> advertised = new HashSet<>();
  /** The addresses whose node said an operator drained it. */
  private final Set<Address> drainedByOperator = new HashSet<>();
  private Set<ActorRef<Command>> listed = Set.of();

  /** @param stores this node's stores, whose room it advertises */
  public static Behavior<Command> create(Peers peers, String endpoint, List<ChunkStore> stores, Settings settings) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
      ActorRef<Receptionist.Listing> listing = context.messageAdapter(Receptionist.Listing.class,
          l -> new ListingChanged(l.getServiceInstances(KEY)));
      context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
      context.getSystem().receptionist().tell(Receptionist.subscribe(KEY, listing));
      Cluster cluster = Cluster.get(context.getSystem());
      ActorRef<ClusterEvent.MemberEvent> membership =
          context.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new);
      cluster.subscriptions().tell(Subscribe.create(membership, ClusterEvent.MemberEvent.class));
      timers.startTimerWithFixedDelay(Advertise.TICK, settings.advertiseInterval());
      return new PeerDirectory(context, peers, endpoint, stores, cluster.selfMember().address());
    }));
  }

  private PeerDirectory(ActorContext<Command> context, Peers peers, String endpoint, List<ChunkStore> stores,
      Address selfAddress) {
    super(context);
    this.peers = peers;
    this.endpoint = endpoint;
    this.stores = List.copyOf(stores);
    this.selfAddress = selfAddress;
    if (!this.stores.isEmpty()) advertised.add(selfAddress);
    countReplicaNodes();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ListingChanged.class, this::onListing)
        .onMessage(Introduce.class, this::onIntroduce)
        .onMessage(MembershipChanged.class, this::onMembership)
        .onMessageEquals(Advertise.TICK, this::onAdvertise)
        .onMessageEquals(DrainChanged.INSTANCE, this::onDrainChanged)
        .onMessage(Unintroduced.class, this::onUnintroduced)
        .build();
  }

  private Behavior<Command> onListing(ListingChanged changed) {
    Introduce self = introduction(true);
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
    if (m.nodeId().equals(peers.selfId())) return this;
    // An introduction can arrive before the listing that names its sender: keep it for then.
    known.put(m.from(), new Peers.PeerInfo(m.nodeId(), m.endpoint(), m.stores(), m.drained()));
    if (m.answer()) m.from().tell(introduction(false));
    Address from = m.from().path().address();
    boolean changed = !m.stores().isEmpty() && advertised.add(from);
    changed |= m.drained() ? drainedByOperator.add(from) : drainedByOperator.remove(from);
    if (changed) countReplicaNodes();
    publish();
    return this;
  }

  private Behavior<Command> onMembership(MembershipChanged changed) {
    var member = changed.event().member();
    if (changed.event() instanceof ClusterEvent.MemberRemoved) {
      members.remove(member.address());
      incarnations.remove(member.uniqueAddress());
      boolean again = incarnations.keySet().stream().anyMatch(u -> u.address().equals(member.address()));
      if (!again && !member.address().equals(selfAddress)) {
        advertised.remove(member.address());
        drainedByOperator.remove(member.address());
      }
    } else {
      members.put(member.address(), member.status());
      incarnations.put(member.uniqueAddress(), member.status());
    }
    if (member.address().equals(selfAddress)) peers.drainSelf(DRAINED.contains(member.status()));
    countReplicaNodes();
    publish();
    return this;
  }

  /**
   * See the class comment: the addresses of advertised members not departing, reachable or not (an old and a
   * new incarnation of a restarted node count once); this node also before it is a member.
   */
  private void countReplicaNodes() {
    Set<Address> counted = new HashSet<>();
    for (var e : incarnations.entrySet()) {
      Address address = e.getKey().address();
      boolean drained = address.equals(selfAddress) ? peers.adminDrained() : drainedByOperator.contains(address);
      if (advertised.contains(address) && !DEPARTING.contains(e.getValue()) && !drained) counted.add(address);
    }
    boolean selfSeen = incarnations.keySet().stream().anyMatch(u -> u.address().equals(selfAddress));
    if (!selfSeen && advertised.contains(selfAddress) && !peers.adminDrained()) counted.add(selfAddress);
    int count = counted.size();
    peers.replicaNodes(count);
  }

  private Behavior<Command> onAdvertise() {
    Introduce self = introduction(false);
    for (ActorRef<Command> ref : listed) {
      if (!ref.equals(getContext().getSelf())) ref.tell(self);
    }
    return this;
  }

  private Behavior<Command> onUnintroduced(Unintroduced ask) {
    Set<Address> heard = new HashSet<>();
    for (ActorRef<Command> ref : known.keySet()) if (listed.contains(ref)) heard.add(ref.path().address());
    ClusterEvent.CurrentClusterState state = Cluster.get(getContext().getSystem()).state();
    Set<Address> missing = new HashSet<>();
    for (Member m : state.getMembers()) {
      boolean other = !m.address().equals(selfAddress);
      if (other && m.status() == MemberStatus.up() && !state.getUnreachable().contains(m) && !heard.contains(m.address())) {
        missing.add(m.address());
      }
    }
    ask.replyTo().tell(Set.copyOf(missing));
    return this;
  }

  private Behavior<Command> onDrainChanged() {
    countReplicaNodes();
    return onAdvertise();
  }

  private Introduce introduction(boolean answer) {
    return new Introduce(peers.selfId(), endpoint, rooms(), getContext().getSelf(), answer, peers.adminDrained());
  }

  /** This node's stores' room; a store whose free space cannot be read advertises none. */
  private List<StoreRoom> rooms() {
    List<StoreRoom> out = new ArrayList<>(stores.size());
    for (ChunkStore s : stores) {
      long usable;
      try {
        usable = Math.max(0, s.usableBytes());
      } catch (TfsException e) {
        usable = 0;
      }
      out.add(new StoreRoom(s.id(), usable));
    }
    return out;
  }

  private void publish() {
    Map<String, Peers.PeerInfo> view = new HashMap<>();
    for (var e : known.entrySet()) {
      if (!listed.contains(e.getKey())) continue;
      Peers.PeerInfo p = e.getValue();
      // A member not seen yet in the events counts as up: it is joining, not leaving.
      boolean drained = p.drained()
          || DRAINED.contains(members.getOrDefault(e.getKey().path().address(), MemberStatus.up()));
      view.put(p.nodeId(), new Peers.PeerInfo(p.nodeId(), p.endpoint(), p.stores(), drained));
    }
    peers.update(view);
  }
}
