"""Where a transfer's bytes live: host shared memory (HostBuffer) or a CUDA tensor's memory (Sge.of)."""

import mmap
import os
import uuid
import weakref

from . import _wire

SHM_DIR = "/dev/shm"
IPC_HANDLE_BYTES = 64

# The HostBuffers of this process that are open, by segment name: the local channel trusts its
# registration of a segment while the HostBuffer that made it is open (its close drops the registration).
_OPEN = weakref.WeakValueDictionary()


class Sge:
    """One scatter/gather element: ``length`` bytes at ``offset`` of a host segment or a GPU allocation."""

    __slots__ = ("segment", "handle", "device", "offset", "length", "_keep", "extent")

    def __init__(self, offset, length, segment=None, handle=None, device=0, keep=None, extent=None):
        if (segment is None) == (handle is None):
            raise ValueError("an Sge names either a shared-memory segment or a CUDA IPC handle")
        if offset < 0 or length < 0:
            raise ValueError("offset and length must not be negative")
        if handle is not None and len(handle) != IPC_HANDLE_BYTES:
            raise ValueError("a CUDA IPC handle is %d bytes, not %d" % (IPC_HANDLE_BYTES, len(handle)))
        self.segment = segment
        self.handle = handle
        self.device = device
        self.offset = offset
        self.length = length
        self._keep = keep  # what must stay alive while the transfer runs (a tensor)
        # GPU: bytes of the allocation known to exist from its base (the tensor's storage ends there);
        # the local channel registers the allocation with at least this size.
        self.extent = max(extent or 0, offset + length)

    @classmethod
    def host(cls, segment, offset, length):
        """``length`` bytes at ``offset`` of the POSIX shared-memory segment /dev/shm/<segment>."""
        return cls(offset, length, segment=segment)

    @classmethod
    def gpu(cls, handle, device, offset, length, keep=None, extent=None):
        """``length`` bytes at ``offset`` of the CUDA allocation whose base exported ``handle``
        (``extent``: bytes of that allocation known to exist, at least ``offset + length``)."""
        return cls(offset, length, handle=bytes(handle), device=device, keep=keep, extent=extent)

    @classmethod
    def of(cls, tensor, offset=0, length=None):
        """The bytes of a CUDA tensor (from ``offset`` bytes in, ``length`` bytes, default: to its end).

        The tensor must be contiguous; its allocation is exported through CUDA IPC. Pending work on the
        tensor's stream is waited for first, so a write sees its final bytes. Keep the tensor alive
        until the request that names this element is done.
        """
        import torch  # only GPU users need torch

        if not tensor.is_cuda:
            raise ValueError("Sge.of takes a CUDA tensor; use a HostBuffer for host memory")
        if not tensor.is_contiguous():
            raise ValueError("Sge.of needs a contiguous tensor")
        nbytes = tensor.numel() * tensor.element_size()
        if length is None:
            length = nbytes - offset
        if offset < 0 or length < 0 or offset + length > nbytes:
            raise ValueError("%d+%d is outside a tensor of %d bytes" % (offset, length, nbytes))
        storage = tensor.untyped_storage()
        shared = storage._share_cuda_()
        # torch 2.x: (device, handle, storage bytes, storage offset in the allocation, ref counter
        # handle, ref counter offset, event handle, event sync required).
        device, handle, storage_bytes, storage_offset = shared[0], shared[1], shared[2], shared[3]
        _release_ipc_counter(torch, shared)
        handle = _cuda_ipc_handle(handle)
        torch.cuda.current_stream(tensor.device).synchronize()
        start = storage_offset + tensor.storage_offset() * tensor.element_size() + offset
        return cls.gpu(handle, device, start, length, keep=tensor, extent=storage_offset + storage_bytes)

    def __repr__(self):
        where = ("shm:" + self.segment) if self.segment is not None else ("gpu%d" % self.device)
        return "Sge(%s +%d %d bytes)" % (where, self.offset, self.length)

    def _proto(self):
        sge = _wire.Sge(offset=self.offset, length=self.length)
        if self.segment is not None:
            sge.host.name = self.segment
        else:
            sge.gpu.handle = self.handle
            sge.gpu.device = self.device
        return sge


def create_segment(path, nbytes):
    """Creates the shared-memory file ``path`` (it must not exist yet), ``nbytes`` long, readable and
    writable by this user only, and maps it; the file is removed again when that fails."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.ftruncate(fd, nbytes)
        return mmap.mmap(fd, nbytes)
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(fd)


def _cuda_ipc_handle(handle):
    """The 64-byte cudaIpcMemHandle_t inside what torch's _share_cuda_ returns.

    Older torch returns the raw handle; newer torch prefixes a version byte and a type byte ('c' for
    an ordinary cudaMalloc block, 'e' for an expandable segment, which has no such handle).
    """
    handle = bytes(handle)
    if len(handle) == IPC_HANDLE_BYTES:
        return handle
    if len(handle) >= 2 + IPC_HANDLE_BYTES and handle[1:2] == b"c":
        return handle[2:2 + IPC_HANDLE_BYTES]
    if len(handle) >= 2 and handle[1:2] == b"e":
        raise ValueError("the tensor lives in an expandable segment, which CUDA IPC cannot export; "
                         "set PYTORCH_CUDA_ALLOC_CONF=expandable_segments:False")
    raise ValueError("unknown CUDA IPC handle layout (%d bytes) from this torch" % len(handle))


def _release_ipc_counter(torch, shared):
    # _share_cuda_ counts a reference for a consumer that would release it through torch; the node
    # does not, so release it here, or torch keeps the block after the tensor is freed.
    try:
        torch.UntypedStorage._release_ipc_counter_cuda(shared[4], shared[5])
    except (AttributeError, IndexError, RuntimeError, TypeError):
        pass


class HostBuffer:
    """A POSIX shared-memory segment (a file in /dev/shm) the node reads and writes directly."""

    def __init__(self, nbytes, name=None):
        if nbytes <= 0:
            raise ValueError("a HostBuffer needs at least one byte")
        self.name = name or "tfs-%d-%s" % (os.getpid(), uuid.uuid4().hex[:12])
        self.nbytes = nbytes
        self._path = os.path.join(SHM_DIR, self.name)
        self._map = create_segment(self._path, nbytes)
        self._views = []
        self._on_close = []  # callables run once at close (the local channel's registration)
        _OPEN[self.name] = self

    def memoryview(self):
        """A writable view of the whole segment. Release views before close()."""
        view = memoryview(self._map)
        self._views.append(view)
        return view

    def sge(self, offset=0, length=None):
        if length is None:
            length = self.nbytes - offset
        if offset < 0 or length < 0 or offset + length > self.nbytes:
            raise ValueError("%d+%d is outside a buffer of %d bytes" % (offset, length, self.nbytes))
        return Sge.host(self.name, offset, length)

    def close(self):
        """Unmaps and removes the segment."""
        if self._map is None:
            return
        hooks, self._on_close = self._on_close, []
        for hook in hooks:
            hook(self.name)
        if _OPEN.get(self.name) is self:
            del _OPEN[self.name]
        for view in self._views:
            view.release()
        self._views = []
        self._map.close()
        self._map = None
        try:
            os.unlink(self._path)
        except FileNotFoundError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
