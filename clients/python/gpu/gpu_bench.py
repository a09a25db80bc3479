"""tensorfs GPU benchmark: a file into a CUDA tensor through the Python client, on a cache hit,
cold, and cold with FLAG_CUFILE (cuFile reads the node's replica files straight into the tensor, past the
cache; skipped, with the node's reason, where the node answers UNAVAILABLE), beside what a user has today on the same machine in the same run: torch's pinned host->device
copy (the PCIe limit), a pageable copy, and safetensors.torch.load_file(..., device="cuda") of a file
of the same size from local disk, and the machine's own O_DIRECT read of a file of the same size on the
node's store disk (--odirect-dir, default $TFS_STORE_DIR: several large reads in flight, see
bench/direct_read.py), the yardstick of the cold read (goal: cold / O_DIRECT >= 0.9). Every timed round of
a tensorfs read and of the O_DIRECT read is checked byte for byte.

Each tensorfs figure is measured on both paths of the client, the node's local channel (when the node is
on this host and attaches one) and gRPC, the 1-byte round trip too (p50 and p99).

    TFS_GRPC=127.0.0.1:9090 TFS_STORE_DIR=/nvme/tfs python3 gpu_bench.py [--sizes-mib 64,1024] [--rounds 5]
        [--samples 2000] [--dir /tmp] [--odirect-dir DIR] [--odirect-in-flight 4] [--odirect-io-mib 8]
"""

import argparse
import os
import time

import torch

import tensorfs
from bench import direct_read, round_trip

MIB = 1 << 20


def best(fn, rounds):
    times = []
    for _ in range(rounds):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return min(times)


def paths(address):
    """The clients to measure: the local channel (when the node attaches one) and gRPC."""
    out = []
    channel = tensorfs.Client(address)
    if channel.local:
        out.append(("channel", channel))
    else:
        print("the node attached no local channel: the channel rows are left out")
        channel.close()
    out.append(("gRPC", tensorfs.Client(address, local=False)))
    return out


def p50_p99(seconds):
    ordered = sorted(seconds)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)]


def odirect(args, mib, expected):
    """Best of --rounds O_DIRECT reads of a file of these bytes written to --odirect-dir (every round
    checked byte for byte), in seconds; NaN, said so, where that file system refuses O_DIRECT."""
    path = os.path.join(args.odirect_dir, "tfs-bench-odirect-%d" % mib)
    try:
        direct_read.write_file(path, expected)
        return direct_read.read_checked(path, expected, rounds=args.rounds, in_flight=args.odirect_in_flight,
                                        io_bytes=args.odirect_io_mib * MIB)
    except OSError as e:
        print("O_DIRECT read of %s refused (%s): its column is empty" % (path, e))
        return float("nan")
    finally:
        if os.path.exists(path):
            os.remove(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes-mib", default="64,1024")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--dir", default=os.environ.get("TMPDIR", "/tmp"))
    ap.add_argument("--odirect-dir", default=os.environ.get("TFS_STORE_DIR"),
                    help="a directory on the disk of the node's store (default $TFS_STORE_DIR)")
    ap.add_argument("--odirect-in-flight", type=int, default=4)
    ap.add_argument("--odirect-io-mib", type=int, default=8)
    args = ap.parse_args()
    if args.odirect_dir is None:
        args.odirect_dir = args.dir
        print("--odirect-dir not given and TFS_STORE_DIR not set: the O_DIRECT read is of %s, which must be on "
              "the disk of the node's store for cold / O_DIRECT to mean anything" % args.dir)
    clients = paths(os.environ.get("TFS_GRPC", "127.0.0.1:9090"))
    grpc_client = clients[-1][1]
    print("tfs bench gpu: %s, torch %s, %d rounds (best of), paths: %s" % (
        torch.cuda.get_device_name(0), torch.__version__, args.rounds, ", ".join(label for label, _ in clients)))
    # The fixed cost of one request: a 1-byte preadv from the cache into a host buffer, round trip, on each
    # path; rounds alternate between the paths so that they share the machine's state.
    with tensorfs.HostBuffer(1) as one:
        round_trip.prepare(grpc_client, "/bench/gpu/one")
        taken = {label: [] for label, _ in clients}
        for _, c in clients:
            round_trip.samples(c, one, 200, "/bench/gpu/one")
        for r in range(args.rounds):
            for label, c in (clients if r % 2 == 0 else clients[::-1]):
                taken[label].extend(round_trip.samples(c, one, args.samples // args.rounds, "/bench/gpu/one"))
        for label, seconds in taken.items():
            p50, p99 = p50_p99(seconds)
            print("request round trip (1-byte preadv from the cache into host memory), %s: p50 %.1f us, "
                  "p99 %.1f us (%d samples; goal: p50 <= 30 us, p99 <= 100 us on the channel)"
                  % (label, p50 * 1e6, p99 * 1e6, len(seconds)))
    rows = []
    cufile_skip = None
    for mib in [int(s) for s in args.sizes_mib.split(",")]:
        n = mib * MIB
        data = torch.randint(0, 256, (n,), dtype=torch.uint8)
        expected = data.cuda()
        path = "/bench/gpu/f%d" % mib
        with tensorfs.HostBuffer(n) as buf:
            view = buf.memoryview()
            view[:n] = data.numpy().tobytes()
            view.release()
            grpc_client._run(grpc_client.write(path, 0, [buf.sge(0, n)]), 600)

        t_direct = odirect(args, mib, data.numpy())

        target = torch.empty(n, dtype=torch.uint8, device="cuda")
        pinned = data.pin_memory()
        pageable = data.clone()
        t_pinned = best(lambda: target.copy_(pinned, non_blocking=True), args.rounds)
        t_pageable = best(lambda: target.copy_(pageable), args.rounds)

        t_st = float("nan")
        try:
            from safetensors.torch import load_file, save_file
            st_path = os.path.join(args.dir, "tfs-bench-%d.safetensors" % mib)
            save_file({"w": data}, st_path)
            t_st = best(lambda: load_file(st_path, device="cuda"), args.rounds)
            os.remove(st_path)
        except ImportError:
            print("safetensors not installed: its column is empty")

        for label, client in clients:
            def tfs_read():
                got = client.load_into(path, target, timeout=600)
                assert got == n, got

            client.hint(path, "willneed")
            hit = []
            for _ in range(args.rounds):
                target.zero_()
                hit.append(best(tfs_read, 1))
                assert torch.equal(target, expected), "hit (%s): other bytes in the tensor" % label
            t_hit = min(hit)

            cold = []
            for _ in range(args.rounds):
                client.hint(path, "dontneed")
                target.zero_()
                cold.append(best(tfs_read, 1))
                assert torch.equal(target, expected), "cold (%s): other bytes in the tensor" % label
            t_cold = min(cold)

            t_cufile = float("nan")
            if cufile_skip is None and client is grpc_client:
                def tfs_cufile():
                    got = client._run(client.read(path, 0, [tensorfs.Sge.of(target)], flags=tensorfs.FLAG_CUFILE), 600)
                    assert got == n, got

                try:
                    runs = []
                    for _ in range(args.rounds):
                        # The page cache of the node's own file system is left as it is: cuFile in compatibility
                        # mode reads through it, so after the first round this is that cache, not the disk.
                        client.hint(path, "dontneed")
                        target.zero_()
                        runs.append(best(tfs_cufile, 1))
                        assert torch.equal(target, expected), "cuFile: other bytes in the tensor"
                    t_cufile = min(runs)
                except tensorfs.TfsError as e:
                    # cuFile refused by the machine (no driver, or a file system it cannot register): the
                    # column is reported empty with the node's reason, the rest of the benchmark goes on.
                    cufile_skip = e.message
                    print("tensorfs cuFile column skipped: the node answered %s: %s" % (e.code, e.message))
            rows.append((mib, label, t_pinned, t_pageable, t_hit, t_cold, t_cufile, t_st, t_direct))
        grpc_client.hint(path, "dontneed")

    print()
    print("| size | path | pinned copy (limit) | pageable copy | safetensors load_file(cuda), page cache warm "
          "| O_DIRECT read (node's disk, %d x %d MiB in flight) | tensorfs hit | tensorfs cold "
          "| tensorfs cuFile (cold, no cache) | hit / pinned | cold / O_DIRECT | cuFile / cold |"
          % (args.odirect_in_flight, args.odirect_io_mib))
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for mib, label, tp, tpg, th, tc, tcf, ts, td in rows:
        gbs = lambda t: (mib * MIB) / t / 1e9
        timed = lambda t: "skipped" if t != t else "%.2f ms, %.1f GB/s" % (t * 1e3, gbs(t))
        ratio = "-" if tcf != tcf else "%.2f" % (tc / tcf)
        direct_ratio = "-" if td != td else "%.2f" % (td / tc)
        print("| %d MiB | %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %s | %s |" % (
            mib, label, timed(tp), timed(tpg), timed(ts), timed(td), timed(th), timed(tc), timed(tcf), tp / th,
            direct_ratio, ratio))
    print("goals: 64 MiB hit <= 1.6 ms; 1 GiB hit <= 20.5 ms (hit / pinned >= 0.95); "
          "1 GiB cold / O_DIRECT >= 0.9 (the cold read's throughput over the O_DIRECT read's)")
    if cufile_skip is not None:
        print("tensorfs cuFile: skipped (%s)" % cufile_skip)
    for _, c in clients:
        c.close()


if __name__ == "__main__":
    main()
