"""A DCP save and load of checkpoint NAME by two gloo processes on CPU tensors, into tensorfs at $TFS_GRPC.

    python3 it/dcp_two_ranks.py /tenant/job/step [--device cuda] [--no-ipc]

Both ranks hold replicated tensors (saved once, by the coordinator), ShardedTensors split over the ranks
by rows (each rank saves its own shards under its rank), and a plain value. After
the save every tensor is zeroed, loaded back, and compared with torch.equal; a rank prints "rank R: every
tensor equal" when all are.
"""

import os
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def dcp_functions():
    """(save, load) taking (state_dict, storage): torch 2.x's dcp.save/dcp.load, torch 1.13's
    save_state_dict/load_state_dict."""
    try:
        import torch.distributed.checkpoint as dcp
    except ImportError:
        from tensorfs._torch_compat import import_module

        shard = import_module("torch.distributed._shard.checkpoint")
        return shard.save_state_dict, shard.load_state_dict
    if hasattr(dcp, "save") and hasattr(dcp, "load"):
        return (lambda state, writer: dcp.save(state, storage_writer=writer),
                lambda state, reader: dcp.load(state, storage_reader=reader))
    return dcp.save_state_dict, dcp.load_state_dict


def sharded(device, rows, cols, seed, dtype=torch.float32):
    """A ShardedTensor split over the two ranks by rows, filled from a seeded full tensor."""
    from tensorfs._torch_compat import import_module

    st = import_module("torch.distributed._shard.sharded_tensor")
    spec = import_module("torch.distributed._shard.sharding_spec")
    placements = ["rank:0/%s" % device, "rank:1/%s" % device]
    if device == "cuda":
        last = torch.cuda.device_count() - 1
        placements = ["rank:0/cuda:0", "rank:1/cuda:%d" % min(1, last)]
    tensor = st.empty(spec.ChunkShardingSpec(dim=0, placements=placements), rows, cols, dtype=dtype)
    g = torch.Generator().manual_seed(seed)
    full = torch.randn(rows, cols, generator=g).to(dtype)
    for shard in tensor.local_shards():
        offset = shard.metadata.shard_offsets[0]
        length = shard.metadata.shard_sizes[0]
        shard.tensor.copy_(full[offset:offset + length])
    return tensor


def make_state(rank, device, seed):
    """Replicated tensors (the coordinator saves them), tensors sharded over the ranks (each rank saves its
    shard: 4 MiB ones get items of their own, small ones are packed), and a plain value."""
    dev = torch.device("cpu" if device == "cpu" else "cuda:%d" % (rank % torch.cuda.device_count()))
    common = torch.Generator().manual_seed(seed)
    return {
        "both.weight": torch.randn(256, 256, generator=common).to(dev),
        "both.cols": torch.randn(64, 48, generator=common).t().to(dev),  # not contiguous
        "both.count": torch.tensor(7, dtype=torch.int64).to(dev),
        "layer.weight": sharded(device, 2048, 1024, seed + 1),  # 4 MiB per rank
        "layer.bias": sharded(device, 100, 3, seed + 2, torch.bfloat16),
        "layer.scale": sharded(device, 64, 64, seed + 3, torch.float16),
        "extra": {"lr": 0.25},
    }


def zeroed(value):
    if isinstance(value, torch.Tensor):
        return torch.zeros_like(value)
    if isinstance(value, dict):
        return {k: zeroed(v) for k, v in value.items()}
    if type(value).__name__ == "ShardedTensor":
        copy = value  # filled in place below
        for shard in copy.local_shards():
            shard.tensor.zero_()
        return copy
    if isinstance(value, (int, float)):
        return type(value)(0)
    return value


def local(value):
    if type(value).__name__ == "ShardedTensor":
        return [s.tensor.clone() for s in value.local_shards()]
    return value.clone() if isinstance(value, torch.Tensor) else value


def worker(rank, name, init, device, address):
    os.environ["TFS_GRPC"] = address
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
    from tensorfs.dcp import TensorfsReader, TensorfsWriter

    save_state_dict, load_state_dict = dcp_functions()
    state = make_state(rank, device, 11)
    expected = {k: local(v) for k, v in state.items()}
    ipc = "--no-ipc" not in sys.argv
    save_state_dict(state, TensorfsWriter(name, cuda_ipc=ipc))
    dist.barrier()
    into = {k: zeroed(v) for k, v in state.items()}
    load_state_dict(into, TensorfsReader(name, cuda_ipc=ipc))
    bad = []
    for key, want in expected.items():
        got = local(into[key])
        if isinstance(want, list):
            ok = len(want) == len(got) and all(torch.equal(a.cpu(), b.cpu()) for a, b in zip(want, got))
        elif isinstance(want, torch.Tensor):
            ok = want.dtype == got.dtype and torch.equal(want.cpu(), got.cpu())
        else:
            ok = got == want  # zeroed before the load: equal only if it was loaded
        if not ok:
            bad.append(key)
    dist.barrier()
    dist.destroy_process_group()
    if bad:
        print("rank %d: differ: %s" % (rank, bad), flush=True)
        sys.exit(1)
    print("rank %d: every tensor equal (%d entries)" % (rank, len(expected)), flush=True)


def main():
    name = sys.argv[1]
    device = "cuda" if "--device" in sys.argv and sys.argv[sys.argv.index("--device") + 1] == "cuda" else "cpu"
    address = os.environ.get("TFS_GRPC", "127.0.0.1:9090")
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(worker, args=(name, "file://" + os.path.join(tmp, "rendezvous"), device, address), nprocs=2)


if __name__ == "__main__":
    main()
