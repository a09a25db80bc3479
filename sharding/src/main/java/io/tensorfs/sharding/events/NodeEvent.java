package io.tensorfs.sharding.events;

import io.tensorfs.core.CborSerializable;
import java.time.Instant;

/**
 * Something an operator wants to see as it happens (README: "Admin console"): a member joined, left or
 * became unreachable, a repair started or ended, a replica failed its checksum, a drain began or ended.
 *
 * @param time   when the node that saw it published it (UTC)
 * @param kind   one of {@link Kind}'s texts, e.g. {@code member-up}, {@code repair-done}
 * @param node   the node it is about: its node id when known, else its cluster address
 * @param detail a line for people
 */
public record NodeEvent(Instant time, String kind, String node, String detail) implements CborSerializable {
  /** The kinds of event, by their wire text. */
  public enum Kind {
    MEMBER_JOINED("member-joined"),
    MEMBER_UP("member-up"),
    MEMBER_LEFT("member-left"),
    MEMBER_REMOVED("member-removed"),
    MEMBER_DOWNED("member-downed"),
    UNREACHABLE("unreachable"),
    REACHABLE("reachable"),
    REPAIR_STARTED("repair-started"),
    REPAIR_DONE("repair-done"),
    CHECKSUM_FAILURE("checksum-failure"),
    DRAIN_STARTED("drain-started"),
    DRAIN_DONE("drain-done");

    private final String text;

    Kind(String text) {
      this.text = text;
    }

    public String text() {
      return text;
    }
  }

  public static NodeEvent of(Kind kind, String node, String detail) {
    return new NodeEvent(Instant.now(), kind.text(), node, detail);
  }
}
