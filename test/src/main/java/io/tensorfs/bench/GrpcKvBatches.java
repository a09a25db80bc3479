package io.tensorfs.bench;

import io.tensorfs.client.KvClient;
import io.tensorfs.client.TfsClient;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * The KV benchmark through the Java client's {@link TfsClient#kv()}: its own connection (and local channel,
 * when asked for and the node attaches one), direct buffers to get into.
 */
final class GrpcKvBatches implements KvBatchClient {
  private final TfsClient client;
  private final KvClient kv;
  private final String tenant;
  private final List<ByteBuffer> outs = new ArrayList<>();

  /** @param local whether to try the node's local channel; it must then attach */
  GrpcKvBatches(String hostPort, String token, boolean local, String tenant, int batch, long blockBytes) {
    int colon = hostPort.lastIndexOf(':');
    this.client = TfsClient.connect(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)), token,
        local);
    if (local && !client.local()) {
      client.close();
      throw new IllegalStateException("the node attached no local channel");
    }
    this.kv = client.kv();
    this.tenant = tenant;
    for (int i = 0; i < batch; i++) outs.add(ByteBuffer.allocateDirect((int) blockBytes));
  }

  @Override
  public void put(List<String> keys, List<ByteBuffer> values) throws Exception {
    List<KvClient.KvResult> results = kv.put(tenant, keys, values).toCompletableFuture().get(60, TimeUnit.SECONDS);
    for (int i = 0; i < keys.size(); i++) {
      if (!results.get(i).ok()) throw new IllegalStateException("put " + keys.get(i) + ": " + results.get(i));
    }
  }

  @Override
  public void get(List<String> keys, long length, int[] crcs) throws Exception {
    List<ByteBuffer> into = outs.subList(0, keys.size());
    List<KvClient.KvResult> results = kv.get(tenant, keys, into).toCompletableFuture().get(60, TimeUnit.SECONDS);
    for (int i = 0; i < keys.size(); i++) {
      KvClient.KvResult r = results.get(i);
      if (!r.ok() || r.length() != length) throw new IllegalStateException("get " + keys.get(i) + ": " + r);
      CRC32C crc = new CRC32C();
      crc.update(into.get(i).duplicate().position(0).limit((int) length));
      if ((int) crc.getValue() != crcs[i]) throw new IllegalStateException("get " + keys.get(i) + " returned other bytes");
    }
  }

  @Override
  public void close() throws Exception {
    client.close().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
