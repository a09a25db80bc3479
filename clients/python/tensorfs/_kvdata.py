"""What the KV calls take and give: per-key results, and the bytes of a value or an out as host memory
(a flat memoryview) or GPU memory (a CUDA tensor), checked before anything is sent."""

import sys

from . import _wire
from ._local import MAX_KEYS, MAX_NAME_BYTES

OK = 0
NOT_FOUND = _wire.STATUS["NOT_FOUND"]
TOO_LARGE = _wire.STATUS["TOO_LARGE"]


class KvResult:
    """One key's outcome: ``status`` 0 (OK) or an error code number (``status_name`` names it; NOT_FOUND
    is a miss), ``length`` the block's bytes, ``message`` why when not OK."""

    __slots__ = ("status", "length", "message")

    def __init__(self, status=OK, length=0, message=""):
        self.status = status
        self.length = length
        self.message = message

    @property
    def ok(self):
        return self.status == OK

    @property
    def status_name(self):
        return _wire.STATUS_NAMES.get(self.status, str(self.status))

    def __eq__(self, other):
        return (isinstance(other, KvResult) and (self.status, self.length, self.message)
                == (other.status, other.length, other.message))

    def __repr__(self):
        if self.ok:
            return "KvResult(OK, %d bytes)" % self.length
        return "KvResult(%s, %d bytes, %r)" % (self.status_name, self.length, self.message)


def names(tenant, keys):
    """The tenant and keys as utf8 bytes, refused here when they cannot be names: not str, empty,
    longer than a path may be, or more keys than one call takes."""
    if not isinstance(tenant, str) or not tenant:
        raise ValueError("a tenant is a non-empty str, not %r" % (tenant,))
    if isinstance(keys, (str, bytes)):
        raise TypeError("keys is a list of str (one key: [key]), not a single %s" % type(keys).__name__)
    keys = list(keys)
    if len(keys) > MAX_KEYS:
        raise ValueError("at most %d keys in one call, not %d" % (MAX_KEYS, len(keys)))
    tenant_b = _name(tenant, "tenant")
    keys_b = []
    for key in keys:
        if not isinstance(key, str):
            raise TypeError("a key is a str, not %s (%r)" % (type(key).__name__, key))
        if not key:
            raise ValueError("a key is not empty")
        keys_b.append(_name(key, "key"))
    return tenant_b, keys_b


def _name(text, what):
    data = text.encode("utf-8")
    if len(data) + 1 > MAX_NAME_BYTES:
        raise ValueError("a %s is at most %d bytes of utf8, not %d (%r...)" % (what, MAX_NAME_BYTES - 1, len(data),
                                                                                 text[:40]))
    if "\0" in text:
        raise ValueError("a %s has no NUL character (%r)" % (what, text[:40]))
    return data


def _torch_tensor(value):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _numpy_array(value):
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def source(value, index=None):
    """A value to put: ``("host", flat memoryview)`` or ``("gpu", contiguous CUDA tensor)``."""
    if _torch_tensor(value):
        if not value.is_contiguous():
            raise ValueError("value %s: the tensor must be contiguous" % _at(index))
        if value.is_cuda:
            return "gpu", value
        return "host", _tensor_view(value)
    if _numpy_array(value):
        if not value.flags.c_contiguous:
            raise ValueError("value %s: the array must be C-contiguous" % _at(index))
        return "host", _array_view(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        view = memoryview(value)
        if not view.c_contiguous:
            raise ValueError("value %s: the memoryview must be contiguous" % _at(index))
        return "host", view.cast("B") if view.format != "B" or view.ndim != 1 else view
    raise TypeError("value %s: bytes, bytearray, memoryview, a numpy array or a torch tensor, not %s"
                    % (_at(index), type(value).__name__))


def target(out, index=None):
    """Where a got block goes: ``("host", writable flat memoryview)`` or ``("gpu", CUDA tensor)``."""
    if isinstance(out, bytes):
        raise TypeError("out %s: bytes are read-only; pass a bytearray, a memoryview, an array or a tensor"
                        % _at(index))
    kind, view = source(out, index)
    if kind == "host" and view.readonly:
        raise TypeError("out %s: the buffer is read-only" % _at(index))
    return kind, view


def nbytes(kind, data):
    if kind == "host":
        return data.nbytes
    return data.numel() * data.element_size()


def _at(index):
    return "" if index is None else "#%d" % index


def _tensor_view(tensor):
    import torch

    flat = tensor.reshape(-1)
    if flat.numel() == 0:
        return memoryview(bytearray(0))
    return memoryview(flat.view(torch.uint8).numpy())


def _array_view(array):
    import numpy

    return memoryview(array.reshape(-1).view(numpy.uint8))


def copy_to_gpu(data, tensor):
    """Copies host bytes into the first ``len(data)`` bytes of a contiguous CUDA tensor."""
    import torch

    if not data:
        return
    host = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    tensor.reshape(-1).view(torch.uint8)[:len(data)].copy_(host)


def gpu_bytes(tensor):
    """A CUDA tensor's bytes on the host."""
    import torch

    return tensor.reshape(-1).view(torch.uint8).cpu().numpy().tobytes()
