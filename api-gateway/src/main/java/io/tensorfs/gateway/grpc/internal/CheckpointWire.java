package io.tensorfs.gateway.grpc.internal;

import io.tensorfs.gateway.grpc.v1.CheckpointInfo;
import io.tensorfs.gateway.grpc.v1.CheckpointManifest;
import io.tensorfs.gateway.grpc.v1.CheckpointState;
import io.tensorfs.gateway.grpc.v1.ItemState;
import io.tensorfs.gateway.grpc.v1.ListCheckpointsReply;
import io.tensorfs.sharding.checkpoint.Checkpoint;
import io.tensorfs.sharding.checkpoint.Item;
import java.util.List;

/** Translation between the checkpoint operator's values and the gRPC messages. */
final class CheckpointWire {
  private CheckpointWire() {}

  static CheckpointInfo info(Checkpoint c) {
    return CheckpointInfo.newBuilder()
        .setName(c.name().toString())
        .setJob(c.job().toString())
        .setStep(c.step())
        .setState(c.committed() ? CheckpointState.COMMITTED : CheckpointState.OPEN)
        .setRanks(c.ranks())
        .setSize(c.sizeBytes())
        .setItems(c.items().size())
        .setPolicy(c.policy().text())
        .setBegunAtMillis(c.begunAtMillis())
        .setCommittedAtMillis(c.committedAtMillis())
        .build();
  }

  static ItemState item(Item i) {
    return ItemState.newBuilder()
        .setRank(i.rank())
        .setKey(i.key())
        .setSize(i.sizeBytes())
        .setAcknowledged(i.acknowledged())
        .setCrc32C(i.complete() ? i.crc32c() : 0)
        .build();
  }

  static CheckpointManifest manifest(Checkpoint c) {
    CheckpointManifest.Builder b = CheckpointManifest.newBuilder().setInfo(info(c)).addAllRanksDone(c.ranksDone());
    for (Item i : c.items()) b.addItems(item(i));
    return b.build();
  }

  static ListCheckpointsReply list(List<Checkpoint> all) {
    ListCheckpointsReply.Builder b = ListCheckpointsReply.newBuilder();
    for (Checkpoint c : all) b.addCheckpoints(info(c));
    return b.build();
  }
}
