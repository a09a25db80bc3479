"""The fixed cost of one request: a 1-byte preadv from the node's cache into a host buffer, round trip,
through this client's batch stream and the node's gRPC server.

    python3 bench/round_trip.py --node LABEL HOST:PORT TOKEN_FILE|- [--node ...] [--samples 500] [--rounds 5]

Each node gets a 4 KiB file, kept in its cache. With several nodes the rounds alternate between them (and
which goes first alternates from round to round), so that they share the machine's state; each node's
median and p90 over all its samples are printed, and every node's median against the first one's.
``./tfs bench cache`` runs it against a node with auth on and one with auth off.
"""

import argparse
import time

import tensorfs

PATH = "/bench/round-trip/one"


def prepare(client, path=PATH):
    """Writes a 4 KiB file at ``path`` and asks the node to keep it in its cache."""
    with tensorfs.HostBuffer(4096) as seed:
        client._run(client.write(path, 0, [seed.sge(0, 4096)]), 60)
    client.hint(path, "willneed")


def samples(client, buffer, n, path=PATH):
    """``n`` round trips of a 1-byte preadv of ``path`` into ``buffer``, in seconds each."""
    took = []
    for _ in range(n):
        t0 = time.perf_counter()
        got = client._run(client.read(path, 0, [buffer.sge(0, 1)]), 60)
        took.append(time.perf_counter() - t0)
        if got != 1:
            raise AssertionError("a 1-byte read returned %d bytes" % got)
    return took


def median_p90(seconds):
    ordered = sorted(seconds)
    return ordered[len(ordered) // 2], ordered[len(ordered) * 9 // 10]


def _token(file):
    if file == "-":
        return None
    with open(file) as f:
        return f.read().strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node", nargs=3, action="append", metavar=("LABEL", "ADDRESS", "TOKEN_FILE"), required=True)
    ap.add_argument("--samples", type=int, default=500, help="round trips per node per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warm-up", type=int, default=200, help="untimed round trips per node first")
    args = ap.parse_args()
    labels = [label for label, _, _ in args.node]
    # token= always given: a node without one ("-") gets none, whatever TFS_TOKEN says.
    # local=False: this measures the gRPC path (bench/local_round_trip.py measures the local channel).
    clients = [tensorfs.Client(address, token=_token(file) or "", local=False) for _, address, file in args.node]
    one = tensorfs.HostBuffer(1)
    try:
        for c in clients:
            prepare(c)
            samples(c, one, args.warm_up)
        taken = {label: [] for label in labels}
        for r in range(args.rounds):
            order = list(range(len(clients)))
            if r % 2:
                order.reverse()
            for i in order:
                taken[labels[i]].extend(samples(clients[i], one, args.samples))
        print()
        print("gRPC request round trip (1-byte preadv from the cache into host memory, Python client), %d rounds of "
              "%d per node, alternating:" % (args.rounds, args.samples))
        print()
        print("| node | median us | p90 us | median ÷ %s's |" % labels[0])
        print("| --- | ---: | ---: | ---: |")
        base, _ = median_p90(taken[labels[0]])
        for label in labels:
            median, p90 = median_p90(taken[label])
            print("| %s | %.0f | %.0f | %.3f |" % (label, median * 1e6, p90 * 1e6, median / base))
    finally:
        one.close()
        for c in clients:
            c.close()


if __name__ == "__main__":
    main()
