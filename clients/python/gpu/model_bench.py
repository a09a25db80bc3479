"""Model loading benchmark: a realistic safetensors checkpoint (a decoder of bf16 tensors of mixed shapes,
about 1.65 GB and 243 tensors by default) stored in tensorfs and loaded with
``tensorfs.safetensors.load_file(device=...)``, beside ``safetensors.torch.load_file(device=...)`` of the same
file from local disk, warm and cold; then 4 and 8 loader processes loading it at once from the node(s),
their aggregate beside the same processes' pinned host->device copies of as many bytes, and one process's
pinned copy. Every load is checked tensor by tensor against the file (safetensors' own load where it is
installed, else this package's in-memory ``load`` of the local file).

    TFS_GRPC=127.0.0.1:9090 python3 gpu/model_bench.py [--device cuda] [--rounds 3] [--loaders 4,8]
        [--dir /tmp] [--nodes host:port,...] [--policy 'cache(1,3)'] [--drop-caches]
        [--hidden 2048 --intermediate 4096 --layers 20 --vocab 32000]   (the model's shape)

Cold: for safetensors, the local file's pages are dropped from the page cache before each round
(posix_fadvise DONTNEED; with --drop-caches, as root, /proc/sys/vm/drop_caches too); for tensorfs, the
file is dropped from the node's cache (hint dontneed), so the node reads its replica files again.
With --nodes, the file goes to the first node with --policy and loaders take the nodes in turn.
The single-process rows are measured on both paths of the client (the node's local channel, where it
attaches one, and gRPC); the loaders use the client's default (the channel; TFS_LOCAL=off: gRPC).
"""

import argparse
import multiprocessing as mp
import os
import time

import torch

import tensorfs
from tensorfs import safetensors as tst

GB = 1e9


def model_state(hidden, intermediate, layers, vocab, seed=0):
    """A decoder's state dict in bf16: embeddings, per layer q/k/v (with biases, 4:1 grouped KV), o, the
    gated MLP and two norms, then the final norm and the output head."""
    g = torch.Generator().manual_seed(seed)
    kv = max(hidden // 8, 1)
    shapes = {"model.embed_tokens.weight": (vocab, hidden)}
    for i in range(layers):
        p = "model.layers.%d." % i
        shapes.update({p + "self_attn.q_proj.weight": (hidden, hidden), p + "self_attn.q_proj.bias": (hidden,),
                       p + "self_attn.k_proj.weight": (kv, hidden), p + "self_attn.k_proj.bias": (kv,),
                       p + "self_attn.v_proj.weight": (kv, hidden), p + "self_attn.v_proj.bias": (kv,),
                       p + "self_attn.o_proj.weight": (hidden, hidden),
                       p + "mlp.gate_proj.weight": (intermediate, hidden),
                       p + "mlp.up_proj.weight": (intermediate, hidden),
                       p + "mlp.down_proj.weight": (hidden, intermediate),
                       p + "input_layernorm.weight": (hidden,), p + "post_attention_layernorm.weight": (hidden,)})
    shapes.update({"model.norm.weight": (hidden,), "lm_head.weight": (vocab, hidden)})
    return {name: (torch.randn(shape, generator=g) * 0.02).to(torch.bfloat16) for name, shape in shapes.items()}


def nbytes(state):
    return sum(t.numel() * t.element_size() for t in state.values())


def safetensors_package():
    try:
        import safetensors.torch as st

        return st
    except ImportError:
        return None


def reference_load(local_path, device):
    """The file's tensors loaded by safetensors itself (or by this package's ``load`` where it is absent)."""
    st = safetensors_package()
    if st is not None:
        return st.load_file(local_path, device=str(device))
    with open(local_path, "rb") as f:
        return tst.load(f.read(), device=device)


def check_same(got, expected, what):
    if set(got) != set(expected):
        raise AssertionError("%s: tensors %s differ" % (what, sorted(set(got) ^ set(expected))[:5]))
    for name, t in expected.items():
        g = got[name]
        if g.dtype != t.dtype or g.shape != t.shape or not torch.equal(g, t.to(g.device)):
            raise AssertionError("%s: tensor %s differs" % (what, name))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def drop_page_cache(path, drop_all):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    if drop_all:
        try:
            with open("/proc/sys/vm/drop_caches", "w") as f:
                f.write("1\n")
        except OSError:
            pass


def timed(fn, device):
    sync(device)
    t0 = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - t0, out


def store(client, local_path, path, policy):
    """Writes the local file as the tensorfs file ``path`` through host shared memory."""
    size = os.path.getsize(local_path)
    with tensorfs.HostBuffer(size) as buf:
        view = buf.memoryview()
        with open(local_path, "rb") as f:
            f.readinto(view)
        view.release()
        client._run(client.write(path, 0, [buf.sge(0, size)], policy=policy), 3600)


def pinned_copy_seconds(n, device, rounds):
    """Best time of torch's pinned host->device copy of ``n`` bytes (None on a CPU device)."""
    if device.type != "cuda":
        return None
    src = torch.empty(n, dtype=torch.uint8).pin_memory()
    dst = torch.empty(n, dtype=torch.uint8, device=device)
    best = None
    for _ in range(rounds):
        t, _ = timed(lambda: dst.copy_(src, non_blocking=True), device)
        best = t if best is None else min(best, t)
    return best


def loader(rank, address, path, local_path, device_name, start, results):
    """One of the concurrent loaders: a warm-up load, then (all together) a timed load, checked against
    the file, then (all together again) a pinned copy of as many bytes."""
    device = torch.device(device_name)
    if device.type == "cuda":
        device = torch.device("cuda", rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
    client = tensorfs.Client(address)
    try:
        tst.load_file(path, device=device, client=client)
        start.wait()
        t0 = time.monotonic()
        got = tst.load_file(path, device=device, client=client)
        sync(device)
        t1 = time.monotonic()
        n = sum(t.numel() * t.element_size() for t in got.values())
        check_same(got, reference_load(local_path, device), "loader %d" % rank)
        del got
        copy = (None, None)
        if device.type == "cuda":
            src = torch.empty(n, dtype=torch.uint8).pin_memory()
            dst = torch.empty(n, dtype=torch.uint8, device=device)
            start.wait()
            c0 = time.monotonic()
            dst.copy_(src, non_blocking=True)
            sync(device)
            copy = (c0, time.monotonic())
        else:
            start.wait()
        results.put((rank, t0, t1, n, copy[0], copy[1], None))
    except BaseException as e:  # reported, so the parent does not wait forever
        results.put((rank, 0, 0, 0, None, None, "%s: %s" % (type(e).__name__, e)))
        start.abort()
    finally:
        client.close()


def concurrent(n, addresses, path, local_path, device_name):
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [ctx.Process(target=loader, args=(i, addresses[i % len(addresses)], path, local_path, device_name,
                                              start, results)) for i in range(n)]
    for p in procs:
        p.start()
    rows = [results.get(timeout=1800) for _ in procs]
    for p in procs:
        p.join(60)
    errors = [r[6] for r in rows if r[6]]
    if errors:
        raise RuntimeError("loaders failed: %s" % "; ".join(errors[:3]))
    total = sum(r[3] for r in rows)
    load_s = max(r[2] for r in rows) - min(r[1] for r in rows)
    copy_s = None
    if rows[0][4] is not None:
        copy_s = max(r[5] for r in rows) - min(r[4] for r in rows)
    return total, load_s, copy_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--loaders", default="4,8")
    ap.add_argument("--dir", default=os.environ.get("TMPDIR", "/tmp"))
    ap.add_argument("--nodes", default=os.environ.get("TFS_GRPC", "127.0.0.1:9090"))
    ap.add_argument("--policy", default="")
    ap.add_argument("--drop-caches", action="store_true")
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--intermediate", type=int, default=4096)
    ap.add_argument("--layers", type=int, default=20)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--keep", action="store_true", help="keep the local file and the tensorfs file")
    args = ap.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", 0)
    addresses = args.nodes.split(",")
    client = tensorfs.Client(addresses[0])
    path_clients = []
    if getattr(client, "local", False):
        path_clients.append(("channel", client))
    path_clients.append(("gRPC", tensorfs.Client(addresses[0], local=False)))
    st = safetensors_package()
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print("model bench: %s, torch %s, safetensors %s, %d node(s), paths: %s (loaders: %s), %d rounds (best of)"
          % (where, torch.__version__, "installed" if st else "not installed (its columns are empty)",
             len(addresses), ", ".join(label for label, _ in path_clients),
             "channel where attached" if os.environ.get("TFS_LOCAL", "") != "off" else "gRPC", args.rounds))

    state = model_state(args.hidden, args.intermediate, args.layers, args.vocab)
    size = nbytes(state)
    local_path = os.path.join(args.dir, "tfs-model-bench-%d.safetensors" % os.getpid())
    path = "/bench/model/%d/model.safetensors" % os.getpid()
    if st is not None:
        st.save_file(state, local_path, metadata={"format": "pt"})
    else:
        with open(local_path, "wb") as f:
            f.write(tst.save(state, {"format": "pt"}))
    store(client, local_path, path, args.policy)
    print("model: %d tensors, %.3f GB of bf16 (hidden %d, intermediate %d, %d layers, vocab %d), file %.3f GB"
          % (len(state), size / GB, args.hidden, args.intermediate, args.layers, args.vocab,
             os.path.getsize(local_path) / GB))
    if st is not None:
        small = {"a": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.tensor([1, 2], dtype=torch.int8)}
        same_bytes = st.save(small, metadata={"k": "v"}) == tst.save(small, {"k": "v"})
        print("format: tensorfs.safetensors.save %s safetensors.torch.save byte for byte"
              % ("matches" if same_bytes else "DIFFERS FROM"))

    rows = []
    try:
        # tensorfs on each path of the client (the local channel, when attached, and gRPC), warm (the file in
        # the node's cache) and cold (dropped from it before each round).
        tfs = {}
        for label, c in path_clients:
            def tfs_load(c=c):
                return tst.load_file(path, device=device, client=c)

            c.hint(path, "willneed")
            tfs_load()
            warm = []
            for _ in range(args.rounds):
                t, got = timed(tfs_load, device)
                warm.append(t)
                check_same(got, state, "tensorfs warm (%s)" % label)
                del got
            t_warm = min(warm)
            cold = []
            for _ in range(args.rounds):
                c.hint(path, "dontneed")
                t, got = timed(tfs_load, device)
                cold.append(t)
                check_same(got, state, "tensorfs cold (%s)" % label)
                del got
            tfs[label] = (t_warm, min(cold))
            c.hint(path, "willneed")
        t_st_warm = t_st_cold = None
        if st is not None:
            st.load_file(local_path, device=str(device))
            warm = []
            for _ in range(args.rounds):
                t, ref = timed(lambda: st.load_file(local_path, device=str(device)), device)
                warm.append(t)
                check_same(ref, state, "safetensors warm")
                del ref
            t_st_warm = min(warm)
            cold = []
            for _ in range(args.rounds):
                drop_page_cache(local_path, args.drop_caches)
                t, ref = timed(lambda: st.load_file(local_path, device=str(device)), device)
                cold.append(t)
                check_same(ref, state, "safetensors cold")
                del ref
            t_st_cold = min(cold)
        t_pinned = pinned_copy_seconds(size, device, args.rounds)
        for label in tfs:
            rows.append(("warm", label, tfs[label][0], t_st_warm))
            rows.append(("cold", label, tfs[label][1], t_st_cold))

        fmt = lambda t: "-" if t is None else "%.1f ms, %.2f GB/s" % (t * 1e3, size / t / GB)  # noqa: E731
        print()
        print("| %.3f GB model into %s | path | tensorfs.safetensors.load_file | safetensors.torch.load_file "
              "(local disk) | safetensors / tensorfs |" % (size / GB, device))
        print("| --- | --- | ---: | ---: | ---: |")
        for what, label, t, s in rows:
            print("| %s | %s | %s | %s | %s |" % (what, label, fmt(t), fmt(s), "-" if s is None else "%.2fx" % (s / t)))
        print("| pinned host->device copy of %.3f GB, one process (the limit) | | %s | | |" % (size / GB, fmt(t_pinned)))
        print("goal: tensorfs >= 6x safetensors warm")

        del state
        counts = [int(n) for n in args.loaders.split(",") if n]
        if counts:
            print()
            print("| loaders at once | aggregate tensorfs load | the same processes' pinned copies, aggregate "
                  "| load / pinned |")
            print("| ---: | ---: | ---: | ---: |")
            for n in counts:
                total, load_s, copy_s = concurrent(n, addresses, path, local_path, str(device))
                agg = total / load_s / GB
                if copy_s is None:
                    print("| %d | %.2f GB/s (%.2f GB in %.0f ms) | - | - |" % (n, agg, total / GB, load_s * 1e3))
                else:
                    cagg = total / copy_s / GB
                    print("| %d | %.2f GB/s (%.2f GB in %.0f ms) | %.2f GB/s | %.2f |"
                          % (n, agg, total / GB, load_s * 1e3, cagg, agg / cagg))
    finally:
        if not args.keep:
            os.remove(local_path)
            try:
                client.delete(path)
            except tensorfs.TfsError:
                pass
        for _, c in path_clients:
            c.close()
        if client not in [c for _, c in path_clients]:
            client.close()


if __name__ == "__main__":
    main()
