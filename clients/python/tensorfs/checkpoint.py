"""Save and load a state dict as a tensorfs checkpoint.

    import tensorfs.checkpoint as ckpt
    ckpt.save(model.state_dict(), "/tenant/job/step-000100", client="127.0.0.1:9090")
    state = ckpt.load("/tenant/job/step-000100", device="cuda", client="127.0.0.1:9090")

Each rank saves its state dict as items of the checkpoint: tensors' raw bytes (large tensors one item
each, small ones packed together; see tensorfs._items) and, last, a small header item
(``__header__``) holding the state dict's structure with every tensor replaced by a reference (key,
offset, dtype, shape). Tensor bytes are never pickled; the header is read back with an unpickler that
admits only plain containers, numbers, strings and torch dtypes unless ``weights_only=False``.

A save cut off part way (a crash, a lost connection) is resumed by saving the same state dict under the
same name again: the node tells each item's acknowledged offset (Describe) and only the rest is sent.
"""

import collections
import io
import os
import pickle
import time

from . import _items
from .checkpoints import COMMITTED, OPEN
from .client import Client, TfsError

HEADER_KEY = "__header__"
FORMAT = "tensorfs.checkpoint/1"
DEFAULT_ADDRESS = "127.0.0.1:9090"


class TensorRef:
    """Where one tensor of a saved state dict lives: item ``key`` at ``offset``, ``dtype`` (a name such
    as "float32"), ``shape``. ``key`` is None for a tensor with no elements."""

    __slots__ = ("key", "offset", "dtype", "shape")

    def __init__(self, key, offset, dtype, shape):
        self.key, self.offset, self.dtype, self.shape = key, offset, dtype, tuple(shape)

    def __reduce__(self):
        return (TensorRef, (self.key, self.offset, self.dtype, self.shape))

    def __repr__(self):
        return "TensorRef(%r +%d %s %s)" % (self.key, self.offset, self.dtype, list(self.shape))


class SaveResult:
    """A finished save: ``info`` (the CheckpointInfo once committed, else None), ``bytes`` of tensor and
    header items of this rank, ``bytes_sent`` in this call, ``bytes_skipped`` because the node had them
    already (a resumed save), ``items`` of this rank."""

    def __init__(self, info, nbytes, stats, items):
        self.info = info
        self.bytes = nbytes
        self.bytes_sent = stats.bytes_sent
        self.bytes_skipped = stats.bytes_skipped
        self.items = items

    def __repr__(self):
        return "SaveResult(%d bytes, %d sent, %d resumed, %d items)" % (
            self.bytes, self.bytes_sent, self.bytes_skipped, self.items)


def save(state_dict, name, client=None, rank=0, ranks=1, policy="", keep_last=0, begin=None, commit=None,
         resume=True, streams=2, message_bytes=_items.MiB, pack_below=4 * _items.MiB,
         pack_bytes=64 * _items.MiB, cuda_ipc=True, wait_timeout=600.0, timeout=None, token=None):
    """Saves ``state_dict`` (nested dicts, lists and tuples of tensors and plain values) as rank ``rank``
    of checkpoint ``name`` (/tenant/job/step) and returns a SaveResult.

    ``client``: a tensorfs.Client or a "host:port" (default $TFS_GRPC, else 127.0.0.1:9090); ``token``:
    the caller's token for a client made here from an address (default $TFS_TOKEN).
    ``begin`` (default: rank 0) opens the checkpoint for ``ranks`` ranks with ``policy`` and ``keep_last``;
    other ranks wait up to ``wait_timeout`` s for it to be open. ``commit`` (default: rank 0) waits for
    every rank to be done, then commits. ``resume``: when the checkpoint is open already, each item
    continues from its acknowledged offset (the same state dict must be saved again; a different layout
    is refused). CPU tensors go inline in ``message_bytes`` messages over ``streams`` streams; CUDA
    tensors as CUDA IPC elements the node copies itself (``cuda_ipc=False``: staged through host memory
    one message at a time). Never a whole host copy of a GPU state dict.
    """
    with _client(client, token) as c:
        cps = c.checkpoints
        begin = rank == 0 if begin is None else begin
        commit = rank == 0 if commit is None else commit
        tree, blobs, refs = _flatten(state_dict)
        items = _items.layout(blobs, pack_below=pack_below, pack_bytes=pack_bytes)
        for blob, ref in zip(blobs, refs):
            ref.key, ref.offset = blob.key, blob.offset
        header = pickle.dumps({"format": FORMAT, "tree": tree}, protocol=4)
        header_item = _items.Item(HEADER_KEY, [_items.Blob(HEADER_KEY, header)])
        acknowledged = _open(cps, name, rank, ranks, policy, keep_last, begin, resume, wait_timeout)
        _check_layout(name, rank, items + [header_item], acknowledged)
        stats = _items.save_items(cps, name, rank, items, acknowledged={k: a for k, (s, a) in acknowledged.items()},
                                  rank_done=True, last=[header_item], streams=streams, message_bytes=message_bytes,
                                  cuda_ipc=cuda_ipc, timeout=timeout)
        info = None
        if commit:
            _await_ranks(cps, name, ranks, wait_timeout)
            info = cps.commit(name)
        nbytes = sum(i.size for i in items) + header_item.size
        return SaveResult(info, nbytes, stats, len(items) + 1)


def load(name, device="cpu", client=None, rank=0, weights_only=True, streams=2, cuda_ipc=True, timeout=None,
         token=None):
    """Loads rank ``rank``'s state dict of committed checkpoint ``name`` with every tensor on ``device``
    ("cpu", "cuda", "cuda:1", a torch.device). CUDA tensors are read straight into their memory
    (RestoreInto with CUDA IPC) unless ``cuda_ipc=False``. ``name`` may also be a job (/tenant/job):
    its latest committed checkpoint is loaded. ``weights_only=False`` admits any pickled object in the
    state dict's structure (only for checkpoints you trust). ``client`` and ``token`` as for ``save``."""
    import torch

    device = torch.device(device)
    with _client(client, token) as c:
        cps = c.checkpoints
        name = _resolve(cps, name)
        chunks = []
        for message in cps.restore(name, items=[(rank, HEADER_KEY)]):
            chunks.append(message.data)
        header = b"".join(chunks)
        if not header:
            raise TfsError("NOT_FOUND", "checkpoint %s has no state dict of rank %d" % (name, rank))
        meta = _unpickle(header, weights_only)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise TfsError("BAD_REQUEST", "%s rank %d is not a tensorfs.checkpoint state dict" % (name, rank))
        targets = []
        tree = _unflatten(meta["tree"], lambda ref: _allocate(ref, device, rank, targets))
        _items.restore_items(cps, name, targets, streams=streams, cuda_ipc=cuda_ipc, timeout=timeout)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return tree


# -- structure --------------------------------------------------------------------------------------------

def _flatten(value):
    """The state dict with every tensor replaced by a TensorRef, the tensors as Blobs in order, and their
    refs. A tensor object met twice (tied weights) is stored once and comes back as one tensor."""
    import torch

    blobs, refs, seen = [], [], {}

    def walk(v, path):
        if isinstance(v, torch.Tensor):
            ref = seen.get(id(v))
            if ref is None:
                if v.is_sparse or v.layout != torch.strided:
                    raise ValueError("%s: only strided (dense) tensors can be saved" % (path or "tensor"))
                ref = TensorRef(None, 0, str(v.dtype).replace("torch.", ""), v.shape)
                seen[id(v)] = ref
                blobs.append(_items.Blob(path or "tensor", v.detach()))
                refs.append(ref)
            return ref
        if isinstance(v, (dict, collections.OrderedDict)):
            out = type(v)() if type(v) in (dict, collections.OrderedDict) else {}
            for k, x in v.items():
                out[k] = walk(x, _join(path, k))
            return out
        if isinstance(v, (list, tuple)) and type(v) in (list, tuple):
            return type(v)(walk(x, _join(path, i)) for i, x in enumerate(v))
        return v

    tree = walk(value, "")
    # keep seen's tensors alive until the refs are taken
    return tree, blobs, refs


def _join(path, key):
    return "%s/%s" % (path, key) if path else str(key)


def _unflatten(tree, make):
    made = {}

    def walk(v):
        if isinstance(v, TensorRef):
            key = id(v)
            if key not in made:
                made[key] = make(v)
            return made[key]
        if isinstance(v, dict):
            out = type(v)()
            for k, x in v.items():
                out[k] = walk(x)
            return out
        if isinstance(v, (list, tuple)):
            return type(v)(walk(x) for x in v)
        return v

    return walk(tree)


def _allocate(ref, device, rank, targets):
    import torch

    dtype = getattr(torch, ref.dtype, None)
    if not isinstance(dtype, torch.dtype):
        raise TfsError("BAD_REQUEST", "unknown dtype %r in the checkpoint" % ref.dtype)
    tensor = torch.empty(ref.shape, dtype=dtype, device=device)
    nbytes = tensor.numel() * tensor.element_size()
    if nbytes and ref.key is None:
        raise TfsError("BAD_REQUEST", "a tensor of %d bytes has no item" % nbytes)
    if nbytes:
        if device.type == "cuda":
            targets.append(_items.Target(rank, ref.key, ref.offset, nbytes, cuda=tensor))
        else:
            targets.append(_items.Target(rank, ref.key, ref.offset, nbytes, sink=_items.host_view(tensor)))
    return tensor


class _SafeUnpickler(pickle.Unpickler):
    """Admits only what a state dict's structure holds: containers, numbers, strings, TensorRef, and
    torch dtypes and sizes."""

    _ALLOWED = {("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"),
                ("builtins", "complex"), ("builtins", "slice"), ("builtins", "range"),
                ("torch", "Size"), (__name__, "TensorRef")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        if module == "torch":
            import torch

            value = getattr(torch, name, None)
            if isinstance(value, torch.dtype):
                return value
        raise pickle.UnpicklingError("%s.%s is not admitted in a state dict header (load with "
                                     "weights_only=False for a checkpoint you trust)" % (module, name))


def _unpickle(data, weights_only):
    if weights_only:
        return _SafeUnpickler(io.BytesIO(data)).load()
    return pickle.loads(data)


# -- the checkpoint's life --------------------------------------------------------------------------------

class _client:
    """A Client from an address with ``token`` (closed afterwards) or the one given (left open; anything
    with a ``checkpoints`` attribute serves), which keeps the token it was made with."""

    def __init__(self, client, token=None):
        if isinstance(client, Client) or hasattr(client, "checkpoints"):
            if token is not None:
                raise ValueError("token= goes with an address; a Client sends the token it was made with")
            self._client, self._own = client, False
        else:
            address = client or os.environ.get("TFS_GRPC") or DEFAULT_ADDRESS
            self._client, self._own = Client(address, token=token), True

    def __enter__(self):
        return self._client

    def __exit__(self, *exc):
        if self._own:
            self._client.close()


def _open(cps, name, rank, ranks, policy, keep_last, begin, resume, wait_timeout):
    """Opens the checkpoint (``begin``) or waits for it to be open; returns this rank's items as the node
    has them: key -> (declared size, acknowledged bytes)."""
    if begin:
        try:
            cps.begin(name, ranks=ranks, policy=policy, keep_last=keep_last)
            return {}
        except TfsError as e:
            if e.code != "CONFLICT" or not resume:
                raise
    deadline = time.monotonic() + wait_timeout
    while True:
        try:
            manifest = cps.describe(name)
        except TfsError as e:
            if e.code != "NOT_FOUND" or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
            continue
        if manifest.info.state == COMMITTED:
            raise TfsError("CONFLICT", "checkpoint %s is committed already" % name)
        if manifest.info.state != OPEN:
            raise TfsError("CONFLICT", "checkpoint %s is not open" % name)
        if manifest.info.ranks != ranks:
            raise TfsError("BAD_REQUEST", "checkpoint %s expects %d ranks, not %d" % (name, manifest.info.ranks, ranks))
        return {i.key: (i.size, i.acknowledged) for i in manifest.items if i.rank == rank}


def _check_layout(name, rank, items, acknowledged):
    """A resumed save must lay its items out as the cut-off one did."""
    sizes = {i.key: i.size for i in items}
    for key, (size, _ack) in acknowledged.items():
        if sizes.get(key) != size:
            raise TfsError("BAD_REQUEST", "checkpoint %s rank %d holds item %r of %d bytes that this state dict "
                           "does not have; abort it (or save under another name)" % (name, rank, key, size))


def _await_ranks(cps, name, ranks, wait_timeout):
    deadline = time.monotonic() + wait_timeout
    while True:
        manifest = cps.describe(name)
        missing = set(range(ranks)) - set(manifest.ranks_done)
        if not missing:
            return
        if time.monotonic() > deadline:
            raise TfsError("CONFLICT", "checkpoint %s: ranks %s did not finish within %.0f s"
                           % (name, sorted(missing), wait_timeout))
        time.sleep(0.05)


def _resolve(cps, name):
    """``name`` itself when it is a checkpoint; the latest committed checkpoint when it is a job."""
    try:
        manifest = cps.describe(name)
        if manifest.info.state != COMMITTED:
            raise TfsError("NOT_FOUND", "checkpoint %s is not committed" % name)
        return name
    except TfsError as e:
        if e.code not in ("NOT_FOUND", "BAD_PATH"):  # a job is no checkpoint name: BAD_PATH
            raise
        try:
            return cps.latest(name).name
        except TfsError:
            raise e from None


__all__ = ["save", "load", "SaveResult", "TensorRef"]
