"""PyTorch Distributed Checkpoint storage on tensorfs: TensorfsWriter and TensorfsReader.

torch 2.x (``torch.distributed.checkpoint``)::

    import torch.distributed.checkpoint as dcp
    from tensorfs.dcp import TensorfsWriter, TensorfsReader
    dcp.save(state_dict, storage_writer=TensorfsWriter("/tenant/job/step-000100", client="127.0.0.1:9090"))
    dcp.load(state_dict, storage_reader=TensorfsReader("/tenant/job/step-000100", client="127.0.0.1:9090"))

torch 1.13 (``torch.distributed._shard.checkpoint``)::

    from torch.distributed._shard.checkpoint import save_state_dict, load_state_dict
    save_state_dict(state_dict, TensorfsWriter(name))
    load_state_dict(state_dict, TensorfsReader(name))

How a save runs under DCP's collectives: every rank plans; the coordinator, in ``prepare_global_plan``,
opens the checkpoint for the world size (Begin) and gives each rank's plan its rank, before the plans are
scattered, so no rank writes before the checkpoint exists. In ``write_data`` each rank saves its own items
under its rank (tensors' raw bytes, large ones as items of their own, small ones packed; byte items as
they are) and, except the coordinator, says it is done. In ``finish`` the coordinator saves DCP's metadata
(the ``.metadata`` item, last), says it is done, and commits: the checkpoint becomes visible at once.
"""

import dataclasses
import io
import os
import pickle
from typing import List

import torch
from torch.futures import Future

from . import _items
from .checkpoint import _client
from .checkpoints import COMMITTED
from .client import TfsError

from ._torch_compat import dcp_modules

_package, _planner, _storage = dcp_modules()
Metadata = _package.Metadata
LoadItemType, WriteItemType = _planner.LoadItemType, _planner.WriteItemType
StorageReader, StorageWriter, WriteResult = _storage.StorageReader, _storage.StorageWriter, _storage.WriteResult

METADATA_KEY = ".metadata"
SCHEME = "tensorfs://"


@dataclasses.dataclass(frozen=True)
class TensorfsLocation:
    """Where one DCP write item is stored: ``nbytes`` at ``offset`` of item (``rank``, ``key``); for a
    tensor also its ``dtype`` name and the chunk's ``shape``."""

    rank: int
    key: str
    offset: int
    nbytes: int
    dtype: str = ""
    shape: tuple = ()


@dataclasses.dataclass(frozen=True)
class _RankPlan:
    """The storage part of a rank's save plan: its rank in the checkpoint and the world size."""

    rank: int
    ranks: int


def split_checkpoint_id(checkpoint_id):
    """(address or None, name) of a checkpoint id: "/tenant/job/step" or "tensorfs://host:port/tenant/job/step"."""
    text = os.fspath(checkpoint_id)
    address = None
    if text.startswith(SCHEME):
        rest = text[len(SCHEME):]
        slash = rest.find("/")
        if slash <= 0:
            raise ValueError("%r has no host:port and name" % text)
        address, text = rest[:slash], rest[slash:]
    segments = [s for s in text.split("/") if s]
    if not text.startswith("/") or len(segments) != 3 or any(s in (".", "..") for s in segments):
        raise ValueError("a checkpoint name is /tenant/job/step, not %r" % text)
    return address, "/" + "/".join(segments)


def _valid(checkpoint_id):
    try:
        split_checkpoint_id(checkpoint_id)
        return True
    except (TypeError, ValueError):
        return False


class _Storage:
    def __init__(self, checkpoint_id, client, streams, cuda_ipc, timeout, token):
        self._client_arg = client
        self._token = token
        self.name = None
        if checkpoint_id is not None:
            self._set_id(checkpoint_id)
        self.streams = streams
        self.cuda_ipc = cuda_ipc
        self.timeout = timeout

    def _set_id(self, checkpoint_id):
        address, self.name = split_checkpoint_id(checkpoint_id)
        if address is not None:
            self._client_arg = address

    def _cps(self):
        if self.name is None:
            raise ValueError("no checkpoint name: pass one to the constructor or as checkpoint_id")
        return _client(self._client_arg, self._token)


class TensorfsWriter(_Storage, StorageWriter):
    """A DCP StorageWriter into tensorfs checkpoint ``checkpoint_id`` (/tenant/job/step, or
    tensorfs://host:port/tenant/job/step). ``client``: a tensorfs.Client or "host:port" (default
    $TFS_GRPC); ``token``: the caller's token with an address (default $TFS_TOKEN). ``policy`` and
    ``keep_last`` go to Begin. One instance per rank; DCP calls it from the rank's main thread."""

    def __init__(self, checkpoint_id=None, client=None, policy="", keep_last=0, streams=2, cuda_ipc=True,
                 message_bytes=_items.MiB, pack_below=4 * _items.MiB, pack_bytes=64 * _items.MiB, timeout=None,
                 token=None):
        super().__init__(checkpoint_id, client, streams, cuda_ipc, timeout, token)
        self.policy = policy
        self.keep_last = keep_last
        self.message_bytes = message_bytes
        self.pack_below = pack_below
        self.pack_bytes = pack_bytes
        self.is_coordinator = False
        self._rank = None

    # torch 2.x
    def reset(self, checkpoint_id=None):
        if checkpoint_id is not None:
            self._set_id(checkpoint_id)
        self._rank = None

    def set_up_storage_writer(self, is_coordinator, *args, **kwargs):
        self.is_coordinator = is_coordinator

    @classmethod
    def validate_checkpoint_id(cls, checkpoint_id):
        return _valid(checkpoint_id)

    def storage_meta(self):
        try:
            from torch.distributed.checkpoint.metadata import StorageMeta
        except ImportError:
            return None
        return StorageMeta(checkpoint_id=self.name)

    # torch 1.13
    def init(self, is_coordinator):
        self.set_up_storage_writer(is_coordinator)

    # both
    def prepare_local_plan(self, plan):
        return plan

    def prepare_global_plan(self, plans):
        """On the coordinator: opens the checkpoint for len(plans) ranks; plan i is rank i."""
        with self._cps() as c:
            c.checkpoints.begin(self.name, ranks=len(plans), policy=self.policy, keep_last=self.keep_last)
        return [dataclasses.replace(plan, storage_data=_RankPlan(i, len(plans))) for i, plan in enumerate(plans)]

    def write_data(self, plan, planner):
        """Saves this rank's items (each tensor's raw bytes; byte items as they are) and, except on the
        coordinator, says this rank is done."""
        rank_plan = plan.storage_data
        if not isinstance(rank_plan, _RankPlan):
            raise RuntimeError("the plan has no rank: prepare_global_plan did not run on the coordinator")
        self._rank = rank_plan.rank
        blobs, results = [], []
        for item in plan.items:
            data = planner.resolve_data(item)
            if item.type == WriteItemType.BYTE_IO:
                blob = _items.Blob(_item_name(item.index), data.getbuffer() if isinstance(data, io.BytesIO) else data)
                blobs.append((item, blob, "", ()))
            else:
                tensor = data.detach()
                blob = _items.Blob(_item_name(item.index), tensor)
                blobs.append((item, blob, str(tensor.dtype).replace("torch.", ""), tuple(tensor.shape)))
        items = _items.layout([b for _i, b, _d, _s in blobs], pack_below=self.pack_below, pack_bytes=self.pack_bytes)
        with self._cps() as c:
            _items.save_items(c.checkpoints, self.name, self._rank, items, rank_done=not self.is_coordinator,
                              streams=self.streams, message_bytes=self.message_bytes, cuda_ipc=self.cuda_ipc,
                              timeout=self.timeout)
        for item, blob, dtype, shape in blobs:
            location = TensorfsLocation(self._rank, blob.key or "", blob.offset, blob.nbytes, dtype, shape)
            results.append(WriteResult(index=item.index, size_in_bytes=blob.nbytes, storage_data=location))
        future = Future()
        future.set_result(results)
        return future

    def finish(self, metadata, results):
        """On the coordinator: saves DCP's metadata last, says its rank is done, commits."""
        storage = {}
        for rank_results in results:
            for result in rank_results:
                storage[result.index] = result.storage_data
        metadata.storage_data = storage
        blob = _items.Blob(METADATA_KEY, pickle.dumps(metadata, protocol=4))
        item = _items.Item(METADATA_KEY, [blob])
        rank = self._rank if self._rank is not None else 0
        with self._cps() as c:
            _items.save_items(c.checkpoints, self.name, rank, [], rank_done=True, last=[item],
                              message_bytes=self.message_bytes, timeout=self.timeout)
            c.checkpoints.commit(self.name)


class TensorfsReader(_Storage, StorageReader):
    """A DCP StorageReader of committed tensorfs checkpoint ``checkpoint_id`` (or of a job's latest
    committed checkpoint when given /tenant/job with ``latest=True``). Tensors are read into the
    destination tensors DCP gives: CUDA ones straight through RestoreInto with CUDA IPC (``cuda_ipc``).
    ``client`` and ``token`` as for TensorfsWriter."""

    def __init__(self, checkpoint_id=None, client=None, streams=2, cuda_ipc=True, timeout=None, token=None):
        super().__init__(checkpoint_id, client, streams, cuda_ipc, timeout, token)
        self.storage_data = {}

    # torch 2.x
    def reset(self, checkpoint_id=None):
        if checkpoint_id is not None:
            self._set_id(checkpoint_id)
        self.storage_data = {}

    def set_up_storage_reader(self, metadata, is_coordinator, *args, **kwargs):
        self.storage_data = metadata.storage_data or {}

    @classmethod
    def validate_checkpoint_id(cls, checkpoint_id):
        return _valid(checkpoint_id)

    # torch 1.13
    def init(self, metadata, is_coordinator):
        self.set_up_storage_reader(metadata, is_coordinator)

    # both
    def read_metadata(self, *args, **kwargs):
        with self._cps() as c:
            cps = c.checkpoints
            manifest = cps.describe(self.name)
            if manifest.info.state != COMMITTED:
                raise TfsError("NOT_FOUND", "checkpoint %s is not committed" % self.name)
            ranks = [i.rank for i in manifest.items if i.key == METADATA_KEY]
            if not ranks:
                raise TfsError("NOT_FOUND", "checkpoint %s has no DCP metadata (%s)" % (self.name, METADATA_KEY))
            data = b"".join(m.data for m in cps.restore(self.name, items=[(ranks[0], METADATA_KEY)]))
        metadata = pickle.loads(data)
        if not isinstance(metadata, Metadata):
            raise TfsError("BAD_REQUEST", "%s of %s is not DCP metadata" % (METADATA_KEY, self.name))
        return metadata

    def prepare_local_plan(self, plan):
        return plan

    def prepare_global_plan(self, plans):
        return plans

    def read_data(self, plan, planner):
        """Reads every item of the plan: byte items into planner.load_bytes; tensors straight into the
        destination when it is the whole stored chunk, else through a host tensor of the chunk that is
        narrowed and copied."""
        targets = []
        byte_reads = []
        for read in plan.items:
            where = self.storage_data[read.storage_index]
            if read.type == LoadItemType.BYTE_IO:
                buffer = bytearray(where.nbytes)
                byte_reads.append((read, buffer))
                targets.append(_items.Target(where.rank, where.key, where.offset, where.nbytes,
                                             sink=memoryview(buffer)))
                continue
            targets.append(self._tensor_target(read, where, planner))
        with self._cps() as c:
            _items.restore_items(c.checkpoints, self.name, targets, streams=self.streams, cuda_ipc=self.cuda_ipc,
                                 timeout=self.timeout)
        for read, buffer in byte_reads:
            stream = io.BytesIO(bytes(buffer))
            stream.seek(0)
            planner.load_bytes(read, stream)
        future = Future()
        future.set_result(None)
        return future

    def _tensor_target(self, read, where, planner):
        dtype = getattr(torch, where.dtype)
        dest = planner.resolve_tensor(read).detach()
        whole = (tuple(read.storage_offsets) == (0,) * len(where.shape)
                 and tuple(read.lengths) == tuple(where.shape))
        direct = whole and dest.dtype == dtype and dest.is_contiguous() and tuple(dest.shape) == tuple(where.shape)

        if direct and dest.is_cuda:
            def done():
                planner.commit_tensor(read, dest)

            return _items.Target(where.rank, where.key, where.offset, where.nbytes, cuda=dest, done=done)
        if direct:
            def done():
                planner.commit_tensor(read, dest)

            return _items.Target(where.rank, where.key, where.offset, where.nbytes, sink=_items.host_view(dest),
                                 done=done)
        chunk = torch.empty(where.shape, dtype=dtype)

        def narrowed():
            part = chunk
            for dim, (start, length) in enumerate(zip(read.storage_offsets, read.lengths)):
                part = part.narrow(dim, start, length)
            if tuple(dest.shape) != tuple(part.shape):
                raise TfsError("BAD_REQUEST", "%s: stored %s, destination %s" % (
                    read.storage_index, list(part.shape), list(dest.shape)))
            dest.copy_(part)
            planner.commit_tensor(read, dest)

        return _items.Target(where.rank, where.key, where.offset, where.nbytes, sink=_items.host_view(chunk),
                             done=narrowed)


def _item_name(index):
    """An item key from a DCP MetadataIndex: the fully qualified name, and the chunk's offset unless it
    starts the tensor."""
    if index.offset is not None and any(int(o) for o in index.offset):
        return "%s@%s" % (index.fqn, ",".join(str(int(o)) for o in index.offset))
    return index.fqn


__all__ = ["TensorfsWriter", "TensorfsReader", "TensorfsLocation", "split_checkpoint_id", "METADATA_KEY"]
