package io.tensorfs.gateway;

import java.util.List;

/** What the gateway says of its node: its id, whether it serves yet, and the cluster's members. */
public interface NodeStatus {
  String nodeId();

  /** False while the node starts: the stores are scanned and the metadata reached first. */
  boolean ready();

  /** The cluster's members as {@code address (status)}. */
  List<String> members();
}
