package io.tensorfs.bench;

import java.util.Arrays;

/** {@code ./tfs bench NAME [args]}: runs one benchmark and prints its table. */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) {
    int status;
    try {
      String name = args.length == 0 ? "" : args[0];
      String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
      switch (name) {
        case "http" -> HttpBench.run(rest);
        case "cache" -> CacheBench.run(rest);
        case "cluster" -> ClusterBench.run(rest);
        case "scale" -> ScaleBench.run(rest);
        case "metadata" -> MetadataBench.run(rest);
        case "meta" -> MetaBench.run(rest);
        case "faults" -> FaultsBench.run(rest);
        case "kv" -> KvBench.run(rest);
        case "local" -> LocalChannelBench.run(rest);
        case "s3" -> S3Bench.run(rest);
        case "store" -> StoreBench.run(rest);
        default -> {
          System.err.println("usage: tfs bench http [--size-mib N] [--rounds N] | cache [--rounds N] [--sample-mib N] [--only metrics|auth]"
              + " | cluster [--size-mib N] [--rounds N] [--transport aeron-ipc|aeron-udp|tcp]... [--metadata cassandra|memory] [--dir DIR] [--profile GETS]"
              + " | scale [--nodes 1,2,4,8] [--file-mib N] [--clients N] [--rounds N] [--transport aeron-udp|tcp] [--link-mtu N] [--metadata memory|cassandra] [--node-opt -Dk=v]... [--dir DIR]"
              + " | metadata [--clients N] [--seconds N] [--put-mib N] [--modes periodic:10s,batch,group:2ms]"
              + " | " + MetaOptions.usage()
              + " | faults [--trials N] [--cassandra-trials N] [--disk on|off] [--seed S] [--clients N]"
              + " | kv [--sizes-kib 256,1024,4096,16384] [--clients 1,4,16] [--batch 8] [--seconds S] [--in-flight-mib N] [--local on|off]"
              + " | local [--rounds N] [--warmup N]"
              + " | s3 [--sizes-mib 4,1024] [--rounds N] [--repeats N]"
              + " | store [--dir DIR] [--size-mib N] [--depths 1,2,4,8] [--passes N]");
          System.exit(2);
        }
      }
      status = 0;
    } catch (Exception e) {
      e.printStackTrace();
      status = 1;
    }
    System.exit(status); // node and Cassandra clients leave non-daemon threads behind
  }
}
