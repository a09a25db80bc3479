"""tensorfs checkpoint benchmark (./tfs bench checkpoint): a state dict of mixed tensor sizes saved and
restored through tensorfs, beside, in the same run on the same bytes: torch.save to local disk with fsync
(and torch.load), PyTorch DCP's FileSystemWriter/Reader to local disk, and the raw limits of the local
disk: an O_DIRECT write of the same size (÷ replicas: every byte is written that many times on one
machine) and an O_DIRECT read. Every restore and load is compared tensor by tensor with the source.

    TFS_GRPC=127.0.0.1:9090 python3 bench/checkpoint_bench.py [--size 4GiB] [--device cpu|cuda]
        [--rounds 1] [--dir DIR (default: the node's data disk)] [--policy persistent] [--replicas 3]
        [--streams 4]
"""

import argparse
import mmap
import os
import shutil
import sys
import time
import uuid

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import tensorfs  # noqa: E402
from tensorfs import checkpoint as ckpt  # noqa: E402
from tensorfs._torch_compat import dcp_modules  # noqa: E402

MiB = 1 << 20
GiB = 1 << 30
UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": MiB, "mb": MiB, "mib": MiB,
         "g": GiB, "gb": GiB, "gib": GiB}


def parse_size(text):
    t = text.strip().lower()
    i = len(t)
    while i and not t[i - 1].isdigit():
        i -= 1
    unit = t[i:].strip()
    if unit not in UNITS or not t[:i]:
        raise argparse.ArgumentTypeError("a size like 4GiB or 512MiB, not %r" % text)
    return int(float(t[:i]) * UNITS[unit])


def make_state(size, device, seed=1):
    """About ``size`` bytes in tensors of mixed sizes and dtypes, as a model and optimizer state dict
    would hold them: a quarter in 256 MiB tensors, a half in 16-64 MiB ones, a quarter in 4 KiB-1 MiB
    ones. Bytes come from one random block, each tensor at another shift of it (no two alike)."""
    g = torch.Generator().manual_seed(seed)
    block = torch.randint(0, 256, (64 * MiB + 4096,), dtype=torch.uint8, generator=g)
    plan = []
    left = size
    for share, sizes in ((0.25, [256 * MiB]), (0.5, [16 * MiB, 32 * MiB, 64 * MiB]),
                         (0.25, [4096, 65536, 256 * 1024, MiB])):
        budget = int(size * share)
        i = 0
        while budget > 0 and left > 0:
            n = min(sizes[i % len(sizes)], budget, left)
            plan.append(n)
            budget -= n
            left -= n
            i += 1
    if left > 0:
        plan.append(left)
    dtypes = [torch.float32, torch.bfloat16, torch.float16, torch.int64]
    state = {}
    for i, n in enumerate(plan):
        dtype = dtypes[i % len(dtypes)]
        esize = torch.tensor([], dtype=dtype).element_size()
        n -= n % esize
        if n == 0:
            continue
        raw = torch.empty(n, dtype=torch.uint8)
        at, shift = 0, (i * 4099) % 4096
        while at < n:
            k = min(n - at, 64 * MiB)
            raw[at:at + k].copy_(block[shift:shift + k])
            at += k
        t = raw.view(dtype)
        if t.numel() % 64 == 0:
            t = t.view(-1, 64)
        state["layers.%03d.%s" % (i, "weight" if n >= MiB else "bias")] = t.to(device)
    return state


def nbytes(state):
    return sum(t.numel() * t.element_size() for t in state.values())


def check_equal(source, restored, what):
    if source.keys() != restored.keys():
        raise SystemExit("%s: the keys differ" % what)
    for k, t in source.items():
        r = restored[k]
        # compared as bytes: random bytes seen as floats hold NaNs, which torch.equal finds unequal
        if (r.dtype != t.dtype or r.shape != t.shape or r.device != t.device
                or not torch.equal(r.reshape(-1).view(torch.uint8), t.reshape(-1).view(torch.uint8))):
            raise SystemExit("%s: tensor %s differs from the source" % (what, k))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device):
    sync(device)
    t0 = time.perf_counter()
    value = fn()
    sync(device)
    return time.perf_counter() - t0, value


def direct_limits(directory, size):
    """Seconds for an O_DIRECT write (then fsync) and an O_DIRECT read of ``size`` bytes in 4 MiB I/Os."""
    path = os.path.join(directory, "odirect-%s.bin" % uuid.uuid4().hex[:8])
    io_bytes = 4 * MiB
    buf = mmap.mmap(-1, io_bytes)
    buf.write(os.urandom(io_bytes))
    try:
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC | os.O_DIRECT, 0o600)
        t0 = time.perf_counter()
        try:
            done = 0
            while done < size:
                n = os.write(fd, memoryview(buf)[:io_bytes])
                done += n
            os.fsync(fd)
        finally:
            os.close(fd)
        write_s = time.perf_counter() - t0
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        t0 = time.perf_counter()
        try:
            got = 0
            while got < size:
                n = os.readv(fd, [buf])
                if n <= 0:
                    break
                got += n
        finally:
            os.close(fd)
        read_s = time.perf_counter() - t0
        return write_s, read_s, done
    finally:
        buf.close()
        if os.path.exists(path):
            os.unlink(path)


def main():
    ap = argparse.ArgumentParser(description="tensorfs checkpoint save/restore beside torch.save, DCP and the disk")
    ap.add_argument("--size", type=parse_size, default=parse_size("4GiB"))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--dir", default=os.environ.get("TFS_BENCH_DIR") or os.environ.get("TMPDIR", "/tmp"))
    ap.add_argument("--policy", default="", help="the checkpoint's policy (default: the node's persistent)")
    ap.add_argument("--replicas", type=int, default=3, help="copies a save writes: the O_DIRECT write is divided by it")
    ap.add_argument("--streams", type=int, default=4, help="save/restore streams at once")
    ap.add_argument("--skip-local", action="store_true", help="tensorfs and the disk limits only")
    args = ap.parse_args()
    device = torch.device(args.device)
    address = os.environ.get("TFS_GRPC", "127.0.0.1:9090")
    os.makedirs(args.dir, exist_ok=True)
    client = tensorfs.Client(address)
    job = "/bench/checkpoint-%s" % uuid.uuid4().hex[:8]
    nodes = os.environ.get("TFS_BENCH_NODES", "?")

    state = make_state(args.size, device)
    total = nbytes(state)
    print("tfs bench checkpoint: %.2f GiB in %d tensors (%s), device %s, torch %s, %d round(s), node %s "
          "(%s local node(s)), local disk %s" % (total / GiB, len(state), "mixed 4 KiB-256 MiB", device,
                                                  torch.__version__, args.rounds, address, nodes, args.dir),
          flush=True)
    rows = {}

    def record(name, seconds):
        rows.setdefault(name, []).append(seconds)

    for r in range(args.rounds):
        name = "%s/step-%06d" % (job, r)
        s, result = timed(lambda: ckpt.save(state, name, client=client, policy=args.policy, streams=args.streams),
                          device)
        record("tensorfs save", s)
        policy = result.info.policy
        s, restored = timed(lambda: ckpt.load(name, device=device, client=client, streams=args.streams), device)
        record("tensorfs restore", s)
        check_equal(state, restored, "tensorfs restore")
        del restored
        client.checkpoints.delete(name)
        print("  round %d: tensorfs save %.2f s, restore %.2f s (policy %s), bytes checked" % (
            r + 1, rows["tensorfs save"][-1], rows["tensorfs restore"][-1], policy), flush=True)

        if not args.skip_local:
            path = os.path.join(args.dir, "torch-save-%s.pt" % uuid.uuid4().hex[:8])

            def torch_save():
                with open(path, "wb") as f:
                    torch.save(state, f)
                    f.flush()
                    os.fsync(f.fileno())

            record("torch.save + fsync", timed(torch_save, device)[0])
            s, loaded = timed(lambda: torch.load(path, map_location=device), device)
            record("torch.load", s)
            check_equal(state, loaded, "torch.load")
            del loaded
            os.unlink(path)

            package, _planner, _storage = dcp_modules()
            folder = os.path.join(args.dir, "dcp-%s" % uuid.uuid4().hex[:8])
            writer = package.FileSystemWriter(folder)
            record("DCP FileSystemWriter", timed(lambda: package.save_state_dict(state, writer, no_dist=True), device)[0])
            into = {k: torch.empty_like(t) for k, t in state.items()}
            reader = package.FileSystemReader(folder)
            record("DCP FileSystemReader", timed(lambda: package.load_state_dict(into, reader, no_dist=True), device)[0])
            check_equal(state, into, "DCP FileSystemReader")
            del into
            shutil.rmtree(folder)

        write_s, read_s, limit_bytes = direct_limits(args.dir, total)
        record("O_DIRECT write", write_s * total / limit_bytes)
        record("O_DIRECT read", read_s * total / limit_bytes)

    best = {k: min(v) for k, v in rows.items()}
    gbs = {k: total / s / 1e9 for k, s in best.items()}
    write_limit = gbs["O_DIRECT write"] / max(args.replicas, 1)
    read_limit = gbs["O_DIRECT read"]
    print()
    print("| %-28s | %8s | %-26s |" % ("what (best of %d)" % args.rounds, "GB/s", "ratio to the limit"))
    print("|%s|%s|%s|" % ("-" * 30, "-" * 10, "-" * 28))
    order = ["tensorfs save", "torch.save + fsync", "DCP FileSystemWriter", "tensorfs restore", "torch.load",
             "DCP FileSystemReader"]
    for k in order:
        if k not in gbs:
            continue
        if k in ("tensorfs save", "torch.save + fsync", "DCP FileSystemWriter"):
            ratio = "%.2f of write ÷ %d" % (gbs[k] / write_limit, args.replicas)
        else:
            ratio = "%.2f of O_DIRECT read" % (gbs[k] / read_limit)
        print("| %-28s | %8.2f | %-26s |" % (k, gbs[k], ratio))
    print("| %-28s | %8.2f | %-26s |" % ("O_DIRECT write", gbs["O_DIRECT write"], "raw disk"))
    print("| %-28s | %8.2f | %-26s |" % ("O_DIRECT write ÷ %d" % args.replicas, write_limit, "save limit"))
    print("| %-28s | %8.2f | %-26s |" % ("O_DIRECT read", read_limit, "restore limit"))
    client.close()


if __name__ == "__main__":
    main()
