package io.tensorfs.test;

import io.tensorfs.client.KvClient;
import io.tensorfs.client.TfsClient;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A client process for {@link LocalChannelIT}: attaches a local channel to the node at {@code host port}
 * with {@code token}, prints the channel file's name, then puts and gets 4 MiB KV blocks without end (several
 * in flight) until it is killed.
 */
public final class LocalChannelChild {
  private LocalChannelChild() {}

  public static void main(String[] args) throws Exception {
    TfsClient client = TfsClient.connect(args[0], Integer.parseInt(args[1]), args[2], true);
    if (!client.local()) {
      System.out.println("not attached");
      System.exit(1);
    }
    System.out.println("attached " + client.localChannel().orElseThrow().name());
    KvClient kv = client.kv();
    ByteBuffer block = ByteBuffer.allocate(4 << 20);
    List<String> keys = List.of("k1", "k2", "k3", "k4");
    List<ByteBuffer> values = List.of(block, block, block, block);
    for (long round = 0; ; round++) {
      kv.put("child", keys, values.stream().map(ByteBuffer::duplicate).toList()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      kv.get("child", keys, List.of(ByteBuffer.allocate(4 << 20), ByteBuffer.allocate(4 << 20),
          ByteBuffer.allocate(4 << 20), ByteBuffer.allocate(4 << 20)));
      if (round == 2) System.out.println("running");
    }
  }
}
