"""The fixed cost of one request through the local channel beside gRPC: a 1-byte preadv from the node's
cache into a host buffer, and a 1-key KV get of a 4 KiB block, round trip, from one Python thread.

    TFS_TOKEN=... python3 bench/local_round_trip.py [HOST:PORT] [--samples 2000] [--rounds 5]

Rounds alternate between the two clients (which goes first alternates too) so that they share the
machine's state; p50 and p99 over all samples of each are printed.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorfs  # noqa: E402
from bench import round_trip  # noqa: E402

TENANT = "bench-local"


def kv_samples(client, n):
    took = []
    for _ in range(n):
        t0 = time.perf_counter()
        got = client.kv_get(TENANT, ["rt/4k"])
        took.append(time.perf_counter() - t0)
        if got[0] is None or len(got[0]) != 4096:
            raise AssertionError("the 4 KiB block came back as %r" % (got[0] and len(got[0])))
    return took


def p50_p99(seconds):
    ordered = sorted(seconds)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("address", nargs="?", default=os.environ.get("TFS_GRPC", "127.0.0.1:9090"))
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    channel = tensorfs.Client(args.address)
    grpc_ = tensorfs.Client(args.address, local=False)
    if not channel.local:
        raise SystemExit("the node at %s did not attach a local channel" % args.address)
    one = tensorfs.HostBuffer(1)
    try:
        round_trip.prepare(grpc_)
        channel.kv_put(TENANT, ["rt/4k"], [os.urandom(4096)])
        taken = {}
        clients = [("channel", channel), ("gRPC", grpc_)]
        try:
            grpc_.kv_get(TENANT, ["rt/4k"])
        except tensorfs.TfsError as e:  # a node without the gRPC KV calls: the KV row is the channel's only
            print("gRPC kv_get: %s" % e)
            kv_on = {"channel"}
        else:
            kv_on = {"channel", "gRPC"}
        for label, c in clients:
            round_trip.samples(c, one, 500)
            if label in kv_on:
                kv_samples(c, 200)
        for r in range(args.rounds):
            for label, c in (clients if r % 2 == 0 else clients[::-1]):
                taken.setdefault(("read 1 B", label), []).extend(round_trip.samples(c, one, args.samples))
                if label in kv_on:
                    taken.setdefault(("kv_get 4 KiB", label), []).extend(kv_samples(c, args.samples // 4))
        print("| request | path | p50 us | p99 us | samples |")
        print("| --- | --- | ---: | ---: | ---: |")
        for (what, label), seconds in taken.items():
            p50, p99 = p50_p99(seconds)
            print("| %s | %s | %.1f | %.1f | %d |" % (what, label, p50 * 1e6, p99 * 1e6, len(seconds)))
    finally:
        one.close()
        channel.close()
        grpc_.close()


if __name__ == "__main__":
    main()
