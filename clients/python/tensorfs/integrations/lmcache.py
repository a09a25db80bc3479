"""An LMCache remote connector on tensorfs KV blocks, loaded as a remote-storage plugin:

    remote_url: "tensorfs://127.0.0.1:9090/<tenant>"
    remote_storage_plugins: ["tensorfs"]
    extra_config:
      remote_storage_plugin.tensorfs.module_path: tensorfs.integrations.lmcache
      remote_storage_plugin.tensorfs.class_name: TensorfsConnectorAdapter
      remote_storage_plugin.tensorfs.token_file: /path/to/token      # optional; else $TFS_TOKEN

Written against LMCache's ``RemoteConnector`` (lmcache/v1/storage_backend/connector/base_connector.py)
and ``ConnectorAdapter`` (lmcache/v1/storage_backend/connector/__init__.py, which loads plugins named in
``remote_storage_plugins`` from ``extra_config``), as of LMCache v0.3.x.

Each LMCache chunk is one KV block named after its ``CacheEngineKey`` string. With LMCache's chunk metadata
on (``save_chunk_meta``, the default) a block is a 112-byte header (shape, dtype, memory format, length)
and the chunk's bytes; with it off, just the chunk's bytes, read straight into the buffer LMCache allocates
(a shorter block is a partial chunk). Every batched call is one KVStore call. The blocking KVStore calls
run on a small thread pool, so the engine's event loop is never blocked.
"""

import asyncio
import struct
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import torch
from lmcache.v1.memory_management import MemoryFormat
from lmcache.v1.storage_backend.connector import ConnectorAdapter
from lmcache.v1.storage_backend.connector.base_connector import RemoteConnector

from ._kv import hit, key_name, length, open_store

SCHEME = "tensorfs://"
_MAGIC = b"TFSLMC1\0"
_VERSION = 1
_MAX_DIMS = 8
# magic, version, memory format, payload bytes, dtype name, dims used, dims
_META = struct.Struct("<8sIIQ16sI4x%dq" % _MAX_DIMS)
META_BYTES = _META.size


def encode_meta(shape, dtype, fmt, nbytes):
    """The header of a block holding a chunk of ``shape``/``dtype``/``fmt`` and ``nbytes`` bytes."""
    dims = list(shape)
    if len(dims) > _MAX_DIMS:
        raise ValueError("a chunk of %d dimensions (at most %d)" % (len(dims), _MAX_DIMS))
    name = str(dtype).replace("torch.", "").encode("ascii")
    fmt_value = fmt.value if hasattr(fmt, "value") else int(fmt)
    return _META.pack(_MAGIC, _VERSION, fmt_value, nbytes, name, len(dims), *(dims + [0] * (_MAX_DIMS - len(dims))))


def decode_meta(block):
    """(shape, dtype, fmt, payload bytes) of a block's header; ValueError when it is not one."""
    if len(block) < META_BYTES:
        raise ValueError("a block of %d bytes, shorter than its %d-byte header" % (len(block), META_BYTES))
    magic, version, fmt, nbytes, name, ndim, *dims = _META.unpack_from(block)
    if magic != _MAGIC or version != _VERSION or ndim > _MAX_DIMS:
        raise ValueError("not a tensorfs LMCache block (magic %r, version %d)" % (magic, version))
    dtype = getattr(torch, name.rstrip(b"\0").decode("ascii"), None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError("a block of unknown dtype %r" % name)
    if len(block) - META_BYTES != nbytes:
        raise ValueError("a block says %d bytes of chunk but holds %d" % (nbytes, len(block) - META_BYTES))
    return torch.Size(dims[:ndim]), dtype, MemoryFormat(fmt), nbytes


def _bytes_view(memory_obj):
    """A chunk's bytes as a flat writable byte view (``byte_array`` is a buffer over them)."""
    view = memoryview(memory_obj.byte_array)
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def _shape(memory_obj):
    # Chunks of one tensor; LMCache versions with several tensors a chunk also have get_shapes().
    return memory_obj.get_shape() if hasattr(memory_obj, "get_shape") else memory_obj.get_shapes()[0]


def _dtype(memory_obj):
    return memory_obj.get_dtype() if hasattr(memory_obj, "get_dtype") else memory_obj.get_dtypes()[0]


class TensorfsConnector(RemoteConnector):
    """LMCache chunks as tensorfs KV blocks of one tenant. Methods may be called from the engine's event
    loop (the async ones) and from its worker threads (the sync ones); the KVStore is thread-safe."""

    def __init__(self, store, loop=None, local_cpu_backend=None, config=None, metadata=None, own_store=True,
                 threads=4):
        self.store = store
        self.loop = loop
        self.local_cpu_backend = local_cpu_backend
        self._own_store = own_store
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tensorfs-lmcache")
        if hasattr(self, "init_chunk_meta"):
            self.init_chunk_meta(config, metadata)

    # -- keys and blocks ----------------------------------------------------------------------------------

    @staticmethod
    def _name(key):
        return key_name(key.to_string() if hasattr(key, "to_string") else str(key))

    def _block(self, memory_obj):
        data = _bytes_view(memory_obj)
        if not self.save_chunk_meta:
            return data
        head = encode_meta(_shape(memory_obj), _dtype(memory_obj), memory_obj.get_memory_format(), len(data))
        return head + bytes(data)

    def _from_block(self, block):
        """A MemoryObj holding a block read without a destination (chunk metadata on); None on a miss."""
        if block is None:
            return None
        shape, dtype, fmt, nbytes = decode_meta(memoryview(block))
        memory_obj = self.local_cpu_backend.allocate(shape, dtype, fmt)
        if memory_obj is None:
            return None
        try:
            target = _bytes_view(memory_obj)
            if len(target) != nbytes:
                raise ValueError("LMCache allocated %d bytes for a chunk of %d" % (len(target), nbytes))
            target[:] = memoryview(block)[META_BYTES:]
            return memory_obj
        except BaseException:
            memory_obj.ref_count_down()
            raise

    def _get_many(self, keys):
        names = [self._name(k) for k in keys]
        if self.save_chunk_meta:
            return [self._from_block(b) for b in self.store.get(names)]
        objs = [self.local_cpu_backend.allocate(self.meta_shape, self.meta_dtype, self.meta_fmt) for _ in keys]
        if any(o is None for o in objs):
            for o in objs:
                if o is not None:
                    o.ref_count_down()
            return [None] * len(keys)
        results = self.store.get(names, outs=[_bytes_view(o) for o in objs])
        out = []
        for obj, r in zip(objs, results):
            if not hit(r):
                obj.ref_count_down()
                out.append(None)
                continue
            n = length(r)
            out.append(obj if n is None else self.reshape_partial_chunk(obj, n))
        return out

    def _put_many(self, keys, memory_objs):
        results = self.store.put([self._name(k) for k in keys], [self._block(o) for o in memory_objs])
        failed = [k for k, r in zip(keys, results) if not hit(r)]
        if failed:
            raise RuntimeError("tensorfs refused %d of %d chunks (first: %s)" % (len(failed), len(keys), failed[0]))

    async def _call(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    # -- RemoteConnector -----------------------------------------------------------------------------------

    async def exists(self, key):
        return await self._call(self.exists_sync, key)

    def exists_sync(self, key):
        return bool(self.store.exists([self._name(key)])[0])

    async def get(self, key):
        return (await self._call(self._get_many, [key]))[0]

    async def put(self, key, memory_obj):
        await self._call(self._put_many, [key], [memory_obj])

    async def list(self):
        raise NotImplementedError("tensorfs KV blocks cannot be listed (a tenant's blocks are looked up by key)")

    async def close(self):
        self._pool.shutdown(wait=True)
        if self._own_store:
            self.store.close()

    def support_batched_get(self):
        return True

    async def batched_get(self, keys):
        return await self._call(self._get_many, list(keys))

    def support_batched_put(self):
        return True

    async def batched_put(self, keys, memory_objs):
        await self._call(self._put_many, list(keys), list(memory_objs))

    def support_batched_async_contains(self):
        return True

    async def batched_async_contains(self, lookup_id, keys, pin=False):
        """How many of ``keys``, from the first, are present (``pin`` is not needed: a hit is read whole)."""
        return await self._call(self.store.prefix, [self._name(k) for k in keys])

    def support_batched_get_non_blocking(self):
        return True

    async def batched_get_non_blocking(self, lookup_id, keys):
        """The chunks of ``keys`` up to the first miss (the prefix a lookup found)."""
        got = await self._call(self._get_many, list(keys))
        out = []
        for i, obj in enumerate(got):
            if obj is None:
                for rest in got[i + 1:]:
                    if rest is not None:
                        rest.ref_count_down()
                break
            out.append(obj)
        return out

    def support_batched_contains(self):
        return True

    def batched_contains(self, keys, stop_after_first_not_exits=True):
        present = [bool(p) for p in self.store.exists([self._name(k) for k in keys])]
        if stop_after_first_not_exits and False in present:
            first = present.index(False)
            present[first:] = [False] * (len(present) - first)
        return present

    def remove_sync(self, key):
        return bool(self.store.remove([self._name(key)])[0])

    def __repr__(self):
        return "<TensorfsConnector %r>" % (self.store,)


def parse_url(url):
    """(address, tenant) of ``tensorfs://host:port/tenant``."""
    parsed = urlparse(url)
    if parsed.scheme != "tensorfs" or not parsed.hostname or not parsed.port:
        raise ValueError("a tensorfs remote_url is tensorfs://host:port/tenant, not %r" % url)
    tenant = parsed.path.strip("/")
    if not tenant:
        raise ValueError("%r names no tenant (tensorfs://host:port/tenant)" % url)
    return "%s:%d" % (parsed.hostname, parsed.port), tenant


class TensorfsConnectorAdapter(ConnectorAdapter):
    """Makes a TensorfsConnector for a ``tensorfs://host:port/tenant`` remote_url. The token comes from
    ``extra_config["remote_storage_plugin.<plugin>.token_file"]`` when set, else $TFS_TOKEN."""

    def __init__(self):
        super().__init__(SCHEME)

    def can_parse(self, url):
        return url.startswith(SCHEME)

    def create_connector(self, context):
        address, tenant = parse_url(context.url)
        extra = getattr(context.config, "extra_config", None) or {}
        plugin = getattr(context, "plugin_name", None) or "tensorfs"
        token = None
        token_file = extra.get("remote_storage_plugin.%s.token_file" % plugin)
        if token_file:
            with open(token_file) as f:
                token = f.read().strip()
        store = open_store(address, tenant, token)
        return TensorfsConnector(store, context.loop, context.local_cpu_backend, context.config,
                                 getattr(context, "metadata", None))
