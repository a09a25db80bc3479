package io.tensorfs.sharding.events;

import java.util.function.UnaryOperator;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;

/** Turns Pekko Cluster's membership events into {@link NodeEvent}s; stateless. */
final class MemberEvents {
  private MemberEvents() {}

  /** The event for {@code e}, or null for the cluster events the console does not show. */
  static NodeEvent toEvent(ClusterEvent.ClusterDomainEvent e, UnaryOperator<String> nameOf) {
    if (e instanceof ClusterEvent.MemberJoined m) return of(NodeEvent.Kind.MEMBER_JOINED, m.member(), nameOf, "joined");
    if (e instanceof ClusterEvent.MemberUp m) return of(NodeEvent.Kind.MEMBER_UP, m.member(), nameOf, "is up");
    if (e instanceof ClusterEvent.MemberLeft m) return of(NodeEvent.Kind.MEMBER_LEFT, m.member(), nameOf, "is leaving");
    if (e instanceof ClusterEvent.MemberDowned m) return of(NodeEvent.Kind.MEMBER_DOWNED, m.member(), nameOf, "was downed");
    if (e instanceof ClusterEvent.MemberRemoved m) {
      return of(NodeEvent.Kind.MEMBER_REMOVED, m.member(), nameOf, "was removed (was " + m.previousStatus() + ")");
    }
    if (e instanceof ClusterEvent.UnreachableMember m) {
      return of(NodeEvent.Kind.UNREACHABLE, m.member(), nameOf, "is unreachable");
    }
    if (e instanceof ClusterEvent.ReachableMember m) {
      return of(NodeEvent.Kind.REACHABLE, m.member(), nameOf, "is reachable again");
    }
    return null;
  }

  private static NodeEvent of(NodeEvent.Kind kind, Member member, UnaryOperator<String> nameOf, String what) {
    String address = member.address().toString();
    return NodeEvent.of(kind, nameOf.apply(address), "member " + address + " " + what);
  }
}
