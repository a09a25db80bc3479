"""safetensors files stored in tensorfs: ``load_file`` (a drop-in for ``safetensors.torch.load_file``),
``load_sharded`` (Hugging Face ``model.safetensors.index.json``), ``save_file``, and the in-memory ``load`` /
``save``.

The format: an unsigned 64-bit little-endian header length ``n``, ``n`` bytes of UTF-8 JSON (an object:
``"__metadata__"``, a string-to-string map, optional; every other key a tensor name mapped to ``{"dtype",
"shape", "data_offsets": [begin, end]}``, offsets relative to the data region), then the data region, the
tensors' little-endian bytes back to back. Writers pad the header with spaces to a multiple of 8 bytes.

Loading reads the header (one small read), then the whole data region in one batch of reads into one
buffer on the target device: a CUDA tensor the node writes straight into (CUDA IPC), or host shared memory
the node writes into and this process then keeps mapped (no copy). The returned tensors are views into that
buffer (the default; the buffer lives as long as any of them) or, with ``copy=True``, tensors of their own.

    import tensorfs.safetensors as st
    state = st.load_file("/models/llama/model.safetensors", device="cuda", client=c)
    state = st.load_sharded("/models/llama/model.safetensors.index.json", device="cuda:1", client=c)
    st.save_file(state, "/models/mine/model.safetensors", metadata={"format": "pt"}, client=c)
"""

import json
import mmap
import os
import posixpath
import struct
import uuid

from .memory import SHM_DIR, Sge

# The largest header the reference implementation accepts.
MAX_HEADER_BYTES = 100_000_000
# The data region is read in requests of at most this many bytes, all in flight at once.
READ_PIECE = 256 << 20
# A first read of this much usually holds the whole header.
_HEADER_PROBE = 64 << 10
_ALIGN = 8

# name -> (torch attribute, bytes per element). Ordered as the format's dtype enum, which the reference
# writer sorts tensors by (largest first, then by name) so that every tensor starts aligned.
_DTYPES = [
    ("BOOL", "bool", 1),
    ("F4", None, None),
    ("F6_E2M3", None, None),
    ("F6_E3M2", None, None),
    ("U8", "uint8", 1),
    ("I8", "int8", 1),
    ("F8_E5M2", "float8_e5m2", 1),
    ("F8_E4M3", "float8_e4m3fn", 1),
    ("F8_E8M0", "float8_e8m0fnu", 1),
    ("F8_E4M3FNUZ", "float8_e4m3fnuz", 1),
    ("F8_E5M2FNUZ", "float8_e5m2fnuz", 1),
    ("I16", "int16", 2),
    ("U16", "uint16", 2),
    ("F16", "float16", 2),
    ("BF16", "bfloat16", 2),
    ("I32", "int32", 4),
    ("U32", "uint32", 4),
    ("F32", "float32", 4),
    ("C64", "complex64", 8),
    ("F64", "float64", 8),
    ("I64", "int64", 8),
    ("U64", "uint64", 8),
]
_RANK = {name: i for i, (name, _, _) in enumerate(_DTYPES)}
_ITEM_BYTES = {name: size for name, _, size in _DTYPES}
_TORCH_ATTR = {name: attr for name, attr, _ in _DTYPES}


class SafetensorError(ValueError):
    """A file (or bytes) that is not a valid safetensors file, or a dtype this torch cannot hold."""


def _torch():
    import torch

    return torch


def _torch_dtype(name):
    """The torch dtype of a safetensors dtype name; a clear error for those this torch lacks."""
    if name not in _RANK:
        raise SafetensorError("unknown dtype %r (known: %s)" % (name, ", ".join(n for n, _, _ in _DTYPES)))
    attr = _TORCH_ATTR[name]
    if attr is None:
        raise SafetensorError("dtype %s packs elements in less than a byte; torch tensors cannot hold it" % name)
    torch = _torch()
    dtype = getattr(torch, attr, None)
    if dtype is None:
        raise SafetensorError("dtype %s needs torch.%s, which this torch (%s) does not have"
                              % (name, attr, torch.__version__))
    return dtype


def _dtype_name(dtype):
    torch = _torch()
    for name, attr, _ in _DTYPES:
        if attr is not None and getattr(torch, attr, None) == dtype:
            return name
    raise SafetensorError("torch dtype %s has no safetensors dtype" % dtype)


class _Entry:
    __slots__ = ("name", "dtype", "shape", "begin", "end")

    def __init__(self, name, dtype, shape, begin, end):
        self.name, self.dtype, self.shape, self.begin, self.end = name, dtype, shape, begin, end


class Header:
    """A parsed, validated header: ``metadata`` (dict or None), ``entries`` in data order, ``data_start``
    (the data region's offset in the file) and ``data_bytes`` (its length)."""

    def __init__(self, metadata, entries, header_bytes):
        self.metadata = metadata
        self.entries = entries
        self.data_start = 8 + header_bytes
        self.data_bytes = entries[-1].end if entries else 0


def header_length(first8, where="the file"):
    """The header length that the first 8 bytes give."""
    if len(first8) < 8:
        raise SafetensorError("%s has %d bytes, fewer than the 8 of the header length" % (where, len(first8)))
    (n,) = struct.unpack("<Q", bytes(first8[:8]))
    if n > MAX_HEADER_BYTES:
        raise SafetensorError("%s declares a header of %d bytes, more than %d" % (where, n, MAX_HEADER_BYTES))
    if n < 2:
        raise SafetensorError("%s declares a header of %d bytes, too small for a JSON object" % (where, n))
    return n


def parse_header(raw, file_bytes=None, where="the file"):
    """Parses and validates the JSON header ``raw`` (the ``n`` bytes after the length). ``file_bytes``: the
    whole file's size, when known, checked against the data region the header describes."""
    raw = bytes(raw)
    if not raw.startswith(b"{"):
        raise SafetensorError("%s: the header does not start with '{'" % where)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise SafetensorError("%s: the header is not UTF-8 JSON: %s" % (where, e)) from None
    if not isinstance(doc, dict):
        raise SafetensorError("%s: the header is not a JSON object" % where)
    metadata = doc.pop("__metadata__", None)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise SafetensorError("%s: __metadata__ must map strings to strings" % where)
    entries = []
    for name, info in doc.items():
        if not isinstance(info, dict):
            raise SafetensorError("%s: tensor %r is not an object" % (where, name))
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if not isinstance(dtype, str) or dtype not in _RANK:
            raise SafetensorError("%s: tensor %r has unknown dtype %r" % (where, name, dtype))
        if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
            raise SafetensorError("%s: tensor %r has shape %r, not a list of non-negative integers"
                                  % (where, name, shape))
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(o) for o in offsets)
                or offsets[0] > offsets[1]):
            raise SafetensorError("%s: tensor %r has data_offsets %r, not [begin, end] with begin <= end"
                                  % (where, name, offsets))
        elements = 1
        for d in shape:
            elements *= d
        item = _ITEM_BYTES[dtype]
        # Sub-byte dtypes: a size the header can be checked against exists only for whole bytes.
        expected = elements * item if item is not None else None
        if expected is not None and offsets[1] - offsets[0] != expected:
            raise SafetensorError("%s: tensor %r is %s %s, %d bytes, but data_offsets %r span %d"
                                  % (where, name, dtype, shape, expected, offsets, offsets[1] - offsets[0]))
        entries.append(_Entry(name, dtype, tuple(shape), offsets[0], offsets[1]))
    entries.sort(key=lambda e: (e.begin, e.end))
    at = 0
    for e in entries:
        if e.begin != at:
            raise SafetensorError("%s: tensor %r starts at data offset %d, expected %d (tensors must cover the "
                                  "data region without gaps or overlaps)" % (where, e.name, e.begin, at))
        at = e.end
    header = Header(metadata, entries, len(raw))
    if file_bytes is not None and header.data_start + header.data_bytes != file_bytes:
        raise SafetensorError("%s is %d bytes, but its header describes %d (8 + %d of header + %d of data)"
                              % (where, file_bytes, header.data_start + header.data_bytes, len(raw),
                                 header.data_bytes))
    return header


def _is_count(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _tensors(header, buffer, copy):
    """The header's tensors as views into ``buffer`` (a uint8 tensor holding the data region)."""
    torch = _torch()
    out = {}
    for e in header.entries:
        dtype = _torch_dtype(e.dtype)
        raw = buffer[e.begin:e.end]
        item = _ITEM_BYTES[e.dtype]
        if e.begin % item != 0 or buffer.storage_offset() % item != 0:
            raw = raw.clone()  # a view of another element size must start aligned to it
        t = raw.view(dtype).reshape(e.shape)
        out[e.name] = t.clone() if copy else t
    return out


def _bytes_to_tensor(data):
    torch = _torch()
    if len(data) == 0:
        return torch.empty(0, dtype=torch.uint8)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def load(data, device="cpu"):
    """The tensors of a safetensors file held in ``data`` (bytes-like), like ``safetensors.torch.load``."""
    view = memoryview(data).cast("B")
    n = header_length(view, "the data")
    if 8 + n > len(view):
        raise SafetensorError("the data has %d bytes, fewer than the 8 + %d of its header" % (len(view), n))
    header = parse_header(view[8:8 + n], len(view), "the data")
    buffer = _bytes_to_tensor(view[header.data_start:])
    tensors = _tensors(header, buffer, copy=False)
    if str(device) != "cpu":
        tensors = {k: v.to(device) for k, v in tensors.items()}
    return tensors


def metadata_of(data):
    """The ``__metadata__`` map of a safetensors file held in ``data`` (None when it has none)."""
    view = memoryview(data).cast("B")
    n = header_length(view, "the data")
    return parse_header(view[8:8 + n], None, "the data").metadata


# -- writing -------------------------------------------------------------------------------------------


def _plan(tensors, metadata):
    """(header bytes, [(name, contiguous CPU tensor)] in data order) as the reference writer lays them."""
    torch = _torch()
    if not isinstance(tensors, dict):
        raise TypeError("tensors must be a dict of name -> torch.Tensor, not %s" % type(tensors).__name__)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise TypeError("metadata must be a dict of str -> str")
    items = []
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError("tensor names must be strings, not %r" % (name,))
        if name == "__metadata__":
            raise SafetensorError("a tensor cannot be named __metadata__")
        if not isinstance(t, torch.Tensor):
            raise TypeError("%r is a %s, not a torch.Tensor" % (name, type(t).__name__))
        if t.layout != torch.strided:
            raise SafetensorError("%r is a %s tensor; only dense tensors can be saved" % (name, t.layout))
        items.append((name, _dtype_name(t.dtype), t))
    items.sort(key=lambda x: (-_RANK[x[1]], x[0]))
    doc = {}
    if metadata is not None:
        doc["__metadata__"] = metadata
    at = 0
    ordered = []
    for name, dtype, t in items:
        nbytes = t.numel() * t.element_size()
        doc[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [at, at + nbytes]}
        at += nbytes
        ordered.append((name, t))
    raw = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * ((_ALIGN - len(raw) % _ALIGN) % _ALIGN)
    return struct.pack("<Q", len(raw)) + raw, ordered, at


def _host_bytes(t):
    """A flat uint8 CPU view of a tensor's bytes (copied off the GPU / made contiguous as needed)."""
    torch = _torch()
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    t = t.contiguous().reshape(-1)
    if t.dtype == torch.bool:
        t = t.view(torch.uint8)
    return t.view(torch.uint8)


def save(tensors, metadata=None):
    """The bytes of a safetensors file holding ``tensors``, like ``safetensors.torch.save``."""
    head, ordered, data_bytes = _plan(tensors, metadata)
    out = bytearray(len(head) + data_bytes)
    out[:len(head)] = head
    at = len(head)
    for _, t in ordered:
        b = _host_bytes(t)
        n = b.numel()
        if n:
            out[at:at + n] = memoryview(b.numpy())
        at += n
    return bytes(out)


def save_file(tensors, path, metadata=None, client=None, policy=""):
    """Writes ``tensors`` (a dict of name -> tensor, CPU or CUDA) as a safetensors file at tensorfs ``path``
    (the whole new version of it), laid out byte for byte as ``safetensors.torch.save_file`` lays it out.
    ``policy``: the file's replication policy (default: the node's, persistent). Returns the FileInfo."""
    head, ordered, data_bytes = _plan(tensors, metadata)
    total = len(head) + data_bytes
    with _client(client) as c:
        region = _SharedRegion(total)
        try:
            view = memoryview(region.map)
            view[:len(head)] = head
            at = len(head)
            for _, t in ordered:
                b = _host_bytes(t)
                n = b.numel()
                if n:
                    view[at:at + n] = memoryview(b.numpy())
                at += n
            view.release()
            c._run(c.write(path, 0, [Sge.host(region.name, 0, total)], policy=policy), None)
        finally:
            _forget_segment(c, region.name)
            region.close()
        return c.stat(path)


# -- loading from tensorfs -------------------------------------------------------------------------------


class _SharedRegion:
    """Host shared memory the node writes into: a /dev/shm file, mapped here. ``detach()`` unlinks the
    file and leaves the mapping to whoever holds buffers over it (tensors made with torch.frombuffer)."""

    def __init__(self, nbytes):
        self.name = "tfs-st-%d-%s" % (os.getpid(), uuid.uuid4().hex[:12])
        self.path = os.path.join(SHM_DIR, self.name)
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        try:
            os.ftruncate(fd, max(nbytes, 1))
            self.map = mmap.mmap(fd, max(nbytes, 1))
        except BaseException:
            os.unlink(self.path)
            raise
        finally:
            os.close(fd)

    def detach(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        m, self.map = self.map, None
        return m

    def close(self):
        m = self.detach()
        if m is not None:
            try:
                m.close()
            except BufferError:
                pass  # still exported: freed when the last view goes


class _client:
    """``client`` as a context: a Client as given (left open), an address string or None ($TFS_GRPC,
    default 127.0.0.1:9090) connected here and closed after."""

    def __init__(self, client):
        self.given = client
        self.own = None

    def __enter__(self):
        if self.given is not None and not isinstance(self.given, str):
            return self.given
        from .client import Client

        self.own = Client(self.given or os.environ.get("TFS_GRPC", "127.0.0.1:9090"))
        return self.own

    def __exit__(self, *exc):
        if self.own is not None:
            self.own.close()


def read_header(client, path):
    """The validated Header of the safetensors file at tensorfs ``path``."""
    size = client.stat(path).size
    first = client.read_bytes(path, 0, min(size, _HEADER_PROBE))
    n = header_length(first, path)
    if 8 + n > size:
        raise SafetensorError("%s is %d bytes, fewer than the 8 + %d of its header" % (path, size, n))
    raw = first[8:8 + n]
    if len(raw) < n:
        raw += client.read_bytes(path, len(first), 8 + n - len(first))
    if len(raw) != n:
        raise SafetensorError("%s: read %d header bytes of %d (the file changed?)" % (path, len(raw), n))
    return parse_header(raw, size, path)


def _device(device):
    torch = _torch()
    d = torch.device(device)
    if d.type == "cuda" and d.index is None:
        d = torch.device("cuda", torch.cuda.current_device())
    if d.type not in ("cpu", "cuda"):
        raise ValueError("device must be cpu, cuda or cuda:N, not %r" % (device,))
    return d


class _Load:
    """One file's data region on its way into a buffer: the buffer, and the requests filling it."""

    def __init__(self, client, path, header, device):
        torch = _torch()
        self.path, self.header, self.device = path, header, device
        self.region = None
        n = header.data_bytes
        if device.type == "cuda":
            self.buffer = torch.empty(max(n, 1), dtype=torch.uint8, device=device)[:n]
            sge = lambda at, length: Sge.of(self.buffer, at, length)  # noqa: E731
        else:
            self.region = _SharedRegion(n)
            sge = lambda at, length: Sge.host(self.region.name, at, length)  # noqa: E731
        self.requests = []
        for at in range(0, n, READ_PIECE):
            length = min(READ_PIECE, n - at)
            self.requests.append((length, client.read(path, header.data_start + at, [sge(at, length)])))

    def finish(self, client, copy):
        """Waits for every read (the node writes into the buffer until each ends), then returns the tensors;
        a failed or short read (the file shrank) is an error."""
        torch = _torch()
        try:
            failure = None
            for length, request in self.requests:
                try:
                    got = client._run(request, None)
                except Exception as e:
                    failure = failure or e
                    continue
                if got != length and failure is None:
                    failure = SafetensorError("%s: read %d bytes of a %d-byte piece of its data (the file "
                                              "changed?)" % (self.path, got, length))
            if self.region is not None:
                _forget_segment(client, self.region.name)
            if failure is not None:
                raise failure
            if self.region is not None:
                n = self.header.data_bytes
                m = self.region.detach()
                self.buffer = torch.frombuffer(m, dtype=torch.uint8)[:n] if n else torch.empty(0, dtype=torch.uint8)
            return _tensors(self.header, self.buffer, copy)
        finally:
            if self.region is not None:
                self.region.close()
            self.buffer = None


def _forget_segment(client, name):
    """Lets the node's local channel drop its registration of a segment this module made (it is not a
    HostBuffer, whose close does that), so the node unmaps it once the reads into it are done."""
    local = getattr(client, "_local", None)
    forget = getattr(local, "forget_host", None)
    if forget is not None:
        forget(name)


def load_file(path, device="cpu", client=None, copy=False):
    """The tensors of the safetensors file at tensorfs ``path``, a dict of name -> tensor on ``device``
    ("cpu", "cuda", "cuda:N"), like ``safetensors.torch.load_file``. All the tensors' bytes come in one
    batch of reads into one buffer on the device; the tensors are views into it (``copy=False``) or copies.
    ``client``: a tensorfs.Client, an address, or None ($TFS_GRPC, default 127.0.0.1:9090)."""
    d = _device(device)
    with _client(client) as c:
        load = _Load(c, path, read_header(c, path), d)
        return load.finish(c, copy)


def load_sharded(index_json_path, device="cpu", client=None, copy=False, strict=True):
    """The tensors of a Hugging Face sharded checkpoint: ``index_json_path`` is the tensorfs path of its
    ``model.safetensors.index.json`` (``{"weight_map": {tensor: shard file}}``, shard files relative to the
    index's directory). Every shard's reads are in flight at once. ``strict``: every tensor the weight map
    names must be in the shard it names (else SafetensorError); the shards' other tensors are returned too."""
    d = _device(device)
    with _client(client) as c:
        try:
            index = json.loads(c.read_bytes(index_json_path).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise SafetensorError("%s is not a JSON index: %s" % (index_json_path, e)) from None
        weight_map = index.get("weight_map") if isinstance(index, dict) else None
        if not isinstance(weight_map, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                       for k, v in weight_map.items()):
            raise SafetensorError("%s has no weight_map of tensor name -> shard file" % index_json_path)
        base = posixpath.dirname(index_json_path)
        shards = sorted(set(weight_map.values()))
        for shard in shards:
            if shard.startswith("/") or ".." in shard.split("/"):
                raise SafetensorError("%s names shard %r outside its directory" % (index_json_path, shard))
        loads = []
        try:
            for shard in shards:
                p = posixpath.join(base, shard)
                loads.append((shard, _Load(c, p, read_header(c, p), d)))
        except BaseException:
            for _, load in loads:
                _abandon(c, load)
            raise
        out = {}
        found = {}
        failure = None
        for shard, load in loads:
            if failure is not None:
                _abandon(c, load)
                continue
            try:
                tensors = load.finish(c, copy)
            except BaseException as e:
                failure = e
                continue
            found[shard] = set(tensors)
            out.update(tensors)
        if failure is not None:
            raise failure
        if strict:
            for name, shard in weight_map.items():
                if name not in found[shard]:
                    raise SafetensorError("%s: tensor %r is not in shard %s" % (index_json_path, name, shard))
        return out


def _abandon(client, load):
    """Waits for a load's reads (the node writes into its buffer until they end) and drops it."""
    for _, request in load.requests:
        try:
            client._run(request, None)
        except Exception:
            pass
    if load.region is not None:
        _forget_segment(client, load.region.name)
        load.region.close()
    load.buffer = None
