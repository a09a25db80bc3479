"""Stand-ins for the parts of LMCache and SGLang that tensorfs's adapters build on, for the tests (neither
library installs here). Each mirrors the method names, signatures and documented behaviour of the upstream
class it stands for, written from reading these files:

- LMCache (github.com/LMCache/LMCache, dev branch, commit 01712fbd51d0 of base_connector.py; v0.3.x):
  lmcache/v1/storage_backend/connector/base_connector.py (RemoteConnector), connector/__init__.py
  (ConnectorAdapter, ConnectorContext, and the plugin loading of ``remote_storage_plugins``: import
  ``extra_config["remote_storage_plugin.<name>.module_path"]``, take ``.class_name``, instantiate with no
  arguments, require a ConnectorAdapter, pick the first whose ``can_parse(url)``), and the MemoryObj /
  MemoryFormat / LocalCPUBackend.allocate shapes its fs_connector.py uses.
- SGLang (github.com/sgl-project/sglang, main, commit 001067fffe33):
  python/sglang/srt/mem_cache/hicache_storage.py (HiCacheStorage, HiCacheStorageConfig) and
  python/sglang/srt/mem_cache/storage/backend_factory.py (a dynamic backend is ``cls(storage_config,
  kwargs)`` after an issubclass(HiCacheStorage) check), and the host pool page calls its file backend uses
  (get_data_page(index, flat=True), get_dummy_flat_data_page(), set_from_flat_data_page(index, page)).

``install()`` puts them in sys.modules under the upstream module names, so the adapters import them the way
they import the real libraries. Also here: an in-memory KVStore with the contract's semantics.
"""

import abc
import enum
import importlib
import sys
import threading
import types
from dataclasses import dataclass
from typing import List, Optional

import torch

# -- LMCache -------------------------------------------------------------------------------------------------


class MemoryFormat(enum.Enum):
    UNDEFINED = 0
    KV_2LTD = 1
    KV_T2D = 2
    KV_2TD = 3
    BINARY = 4
    KV_MLA_FMT = 5


class MemoryObjMetadata:
    def __init__(self, shape, dtype, fmt):
        self.shape, self.dtype, self.fmt = shape, dtype, fmt


class MemoryObj:
    """A chunk buffer: ``raw_data`` (a uint8 tensor), ``byte_array`` (a writable view of its bytes)."""

    def __init__(self, shape, dtype, fmt, backend):
        nbytes = torch.Size(shape).numel() * torch.tensor([], dtype=dtype).element_size()
        self.raw_data = torch.zeros(nbytes, dtype=torch.uint8)
        self.meta = MemoryObjMetadata(torch.Size(shape), dtype, fmt)
        self.ref_count = 1
        self._backend = backend

    @property
    def byte_array(self):
        return memoryview(self.raw_data.numpy())

    @property
    def tensor(self):
        return self.raw_data.view(self.meta.dtype).reshape(self.meta.shape)

    def get_shape(self):
        return self.meta.shape

    def get_dtype(self):
        return self.meta.dtype

    def get_memory_format(self):
        return self.meta.fmt

    def ref_count_down(self):
        self.ref_count -= 1
        if self.ref_count == 0:
            self._backend.live.discard(self)


class LocalCPUBackend:
    def __init__(self, capacity=1 << 30):
        self.capacity = capacity
        self.live = set()

    def allocate(self, shape, dtype, fmt=None, eviction=True, busy_loop=True):
        obj = MemoryObj(shape, dtype, fmt, self)
        if obj.raw_data.numel() > self.capacity:
            return None
        self.live.add(obj)
        return obj


class LMCacheEngineConfig:
    def __init__(self, remote_url=None, remote_storage_plugins=None, extra_config=None, use_layerwise=False):
        self.remote_url = remote_url
        self.remote_storage_plugins = remote_storage_plugins
        self.extra_config = extra_config
        self.use_layerwise = use_layerwise


class LMCacheMetadata:
    def __init__(self, kv_shape, kv_dtype, use_mla=False):
        self.kv_shape, self.kv_dtype, self.use_mla = kv_shape, kv_dtype, use_mla


class CacheEngineKey:
    def __init__(self, fmt, model_name, world_size, worker_id, chunk_hash):
        self.fmt, self.model_name, self.world_size = fmt, model_name, world_size
        self.worker_id, self.chunk_hash = worker_id, chunk_hash

    def to_string(self):
        return "%s@%s@%d@%d@%x" % (self.fmt, self.model_name, self.world_size, self.worker_id, self.chunk_hash)


class RemoteConnector(metaclass=abc.ABCMeta):
    """LMCache's connector interface: abstract exists/exists_sync/get/put/list/close, optional batched
    calls behind ``support_*`` flags (False here), and the chunk-metadata-off mode (``save_chunk_meta``
    False: ``meta_shape``/``meta_dtype``/``meta_fmt`` of a full chunk, partial chunks cut to whole tokens)."""

    save_chunk_meta: bool = True
    meta_shape: Optional[torch.Size] = None
    meta_dtype: Optional[torch.dtype] = None
    meta_fmt: Optional[MemoryFormat] = None
    full_chunk_size: Optional[int] = None
    single_token_size: Optional[int] = None

    def init_chunk_meta(self, config, metadata):
        # Metadata stays on unless the config turns it off (extra_config save_chunk_meta False, not layerwise).
        if config is None or metadata is None or config.extra_config is None:
            return
        if config.extra_config.get("save_chunk_meta", True) or config.use_layerwise:
            return
        layers, kv, tokens, heads, head_size = metadata.kv_shape
        self.save_chunk_meta = False
        self.meta_shape = torch.Size([kv, layers, tokens, heads * head_size])
        self.meta_dtype = metadata.kv_dtype
        self.meta_fmt = MemoryFormat.KV_MLA_FMT if metadata.use_mla else MemoryFormat.KV_2LTD
        item = torch.tensor([], dtype=metadata.kv_dtype).element_size()
        self.full_chunk_size = item * layers * kv * tokens * heads * head_size
        self.single_token_size = self.full_chunk_size // tokens

    def reshape_partial_chunk(self, memory_obj, bytes_read):
        if bytes_read % self.single_token_size or bytes_read > self.full_chunk_size:
            raise ValueError("bytes_read %d is not whole tokens of a chunk" % bytes_read)
        if bytes_read == self.full_chunk_size:
            return memory_obj
        shape = list(memory_obj.meta.shape)
        shape[2] = bytes_read // self.single_token_size
        memory_obj.raw_data = memory_obj.raw_data[:bytes_read]
        memory_obj.meta.shape = torch.Size(shape)
        return memory_obj

    def post_init(self):
        pass

    @abc.abstractmethod
    async def exists(self, key) -> bool:
        raise NotImplementedError

    @abc.abstractmethod
    def exists_sync(self, key) -> bool:
        raise NotImplementedError

    @abc.abstractmethod
    async def get(self, key):
        raise NotImplementedError

    @abc.abstractmethod
    async def put(self, key, memory_obj):
        raise NotImplementedError

    @abc.abstractmethod
    async def list(self) -> List[str]:
        raise NotImplementedError

    @abc.abstractmethod
    async def close(self):
        raise NotImplementedError

    def support_ping(self):
        return False

    async def ping(self):
        raise NotImplementedError

    def support_batched_get(self):
        return False

    async def batched_get(self, keys):
        raise NotImplementedError

    def support_batched_put(self):
        return False

    async def batched_put(self, keys, memory_objs):
        raise NotImplementedError

    def support_batched_async_contains(self):
        return False

    async def batched_async_contains(self, lookup_id, keys, pin=False) -> int:
        raise NotImplementedError

    def support_batched_get_non_blocking(self):
        return False

    async def batched_get_non_blocking(self, lookup_id, keys):
        raise NotImplementedError

    def remove_sync(self, key) -> bool:
        raise NotImplementedError

    def batched_contains(self, keys, stop_after_first_not_exits=True) -> List[bool]:
        raise NotImplementedError

    def support_batched_contains(self):
        return False


class ConnectorContext:
    def __init__(self, url, loop, local_cpu_backend, config, metadata, plugin_name=None):
        self.url, self.loop, self.local_cpu_backend = url, loop, local_cpu_backend
        self.config, self.metadata, self.plugin_name = config, metadata, plugin_name


class ConnectorAdapter(abc.ABC):
    def __init__(self, schema=""):
        self.schema = schema

    def can_parse(self, url):
        return self.schema != "" and url.startswith(self.schema)

    @abc.abstractmethod
    def create_connector(self, context):
        pass


def lmcache_plugin_connector(config, context):
    """What LMCache's connector manager does with ``remote_storage_plugins``: load each named adapter from
    extra_config, and make the connector with the first adapter that parses the remote url."""
    adapters = []
    for name in config.remote_storage_plugins or []:
        module = importlib.import_module(config.extra_config["remote_storage_plugin.%s.module_path" % name])
        adapter = getattr(module, config.extra_config["remote_storage_plugin.%s.class_name" % name])()
        if not isinstance(adapter, ConnectorAdapter):
            raise TypeError("%s is not a ConnectorAdapter" % name)
        adapters.append(adapter)
    for adapter in adapters:
        if adapter.can_parse(context.url):
            return adapter.create_connector(context)
    raise ValueError("no adapter for %s" % context.url)


# -- SGLang ----------------------------------------------------------------------------------------------------


@dataclass
class HiCacheStorageConfig:
    tp_rank: int
    tp_size: int
    pp_rank: int
    pp_size: int
    attn_cp_rank: int
    attn_cp_size: int
    is_mla_model: bool
    enable_storage_metrics: bool
    is_page_first_layout: bool
    model_name: Optional[str]
    dp_rank: int = 0
    dp_size: int = 1
    tp_lcm_size: Optional[int] = None
    should_split_heads: bool = False
    extra_config: Optional[dict] = None


class HiCacheStorage(abc.ABC):
    """SGLang's storage backend interface: abstract get/batch_get/set/batch_set/exists, the zero-copy
    batch_get_v1/batch_set_v1 over the registered host pool (NotImplementedError unless a backend has them),
    batch_exists (the present prefix, by default one exists() a key), clear, get_stats."""

    def register_mem_pool_host(self, mem_pool_host):
        self.mem_pool_host = mem_pool_host

    def batch_get_v1(self, keys, host_indices, extra_info=None) -> List[bool]:
        raise NotImplementedError()

    def batch_set_v1(self, keys, host_indices, extra_info=None) -> List[bool]:
        raise NotImplementedError()

    @abc.abstractmethod
    def get(self, key, target_location=None, target_sizes=None):
        pass

    @abc.abstractmethod
    def batch_get(self, keys, target_locations=None, target_sizes=None):
        pass

    @abc.abstractmethod
    def set(self, key, value=None, target_location=None, target_sizes=None) -> bool:
        pass

    @abc.abstractmethod
    def batch_set(self, keys, values=None, target_locations=None, target_sizes=None) -> bool:
        pass

    @abc.abstractmethod
    def exists(self, key) -> bool:
        pass

    def batch_exists(self, keys, extra_info=None) -> int:
        for i, key in enumerate(keys):
            if not self.exists(key):
                return i
        return len(keys)

    def clear(self):
        pass

    def get_stats(self):
        return None


def sglang_dynamic_backend(storage_config, kwargs=None):
    """What SGLang's backend factory does for ``--hicache-storage-backend dynamic``."""
    extra = storage_config.extra_config
    module = importlib.import_module(extra["module_path"])
    cls = getattr(module, extra["class_name"])
    if not issubclass(cls, HiCacheStorage):
        raise TypeError("%s must inherit from HiCacheStorage" % extra["class_name"])
    return cls(storage_config, kwargs or {})


class HostKVPool:
    """A host KV pool of ``tokens`` slots of ``token_bytes``, paged by ``page_size`` tokens (flat pages)."""

    def __init__(self, tokens, token_bytes, page_size):
        self.page_size = page_size
        self.token_bytes = token_bytes
        self.data = torch.zeros(tokens, token_bytes, dtype=torch.uint8)

    def get_data_page(self, index, flat=True):
        return self.data[index:index + self.page_size].flatten()

    def get_dummy_flat_data_page(self):
        return torch.zeros(self.page_size * self.token_bytes, dtype=torch.uint8)

    def set_from_flat_data_page(self, index, data_page):
        self.data[index:index + self.page_size] = data_page.reshape(self.page_size, self.token_bytes)


# -- installing them -------------------------------------------------------------------------------------------


def _module(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def install():
    """Puts the stand-ins in sys.modules under the upstream names (once)."""
    if "lmcache.v1.storage_backend.connector.base_connector" in sys.modules:
        return
    for name in ("lmcache", "lmcache.v1", "lmcache.v1.storage_backend", "sglang", "sglang.srt",
                 "sglang.srt.mem_cache"):
        _module(name, __path__=[])
    _module("lmcache.utils", CacheEngineKey=CacheEngineKey)
    _module("lmcache.v1.memory_management", MemoryFormat=MemoryFormat, MemoryObj=MemoryObj)
    _module("lmcache.v1.storage_backend.connector", __path__=[], ConnectorAdapter=ConnectorAdapter,
            ConnectorContext=ConnectorContext)
    _module("lmcache.v1.storage_backend.connector.base_connector", RemoteConnector=RemoteConnector)
    _module("sglang.srt.mem_cache.hicache_storage", HiCacheStorage=HiCacheStorage,
            HiCacheStorageConfig=HiCacheStorageConfig)


# -- an in-memory KVStore ------------------------------------------------------------------------------------


class KvResult:
    def __init__(self, status, length=0):
        self.status, self.length = status, length

    @property
    def ok(self):
        return self.status == "OK"


def _writable_bytes(out):
    if isinstance(out, torch.Tensor):
        if out.device.type != "cpu" or not out.is_contiguous():
            raise ValueError("outs must be contiguous CPU tensors here")
        return memoryview(out.view(-1).view(torch.uint8).numpy())
    return memoryview(out).cast("B")


def _value_bytes(value):
    if isinstance(value, torch.Tensor):
        return bytes(value.contiguous().view(-1).view(torch.uint8).numpy())
    return bytes(memoryview(value).cast("B"))


class MemoryKVStore:
    """tensorfs.kv.KVStore's calls over a dict: immutable blocks (a put replaces), a miss is an answer,
    gets into ``outs`` must fit. Counts calls, so tests can check that batches stay batched."""

    def __init__(self):
        self.blocks = {}
        self.calls = []
        self.closed = False
        self._lock = threading.Lock()

    def put(self, keys, values):
        self.calls.append(("put", len(keys)))
        with self._lock:
            for k, v in zip(keys, values):
                self.blocks[k] = _value_bytes(v)
        return [KvResult("OK", len(self.blocks[k])) for k in keys]

    def get(self, keys, outs=None):
        self.calls.append(("get", len(keys)))
        with self._lock:
            found = [self.blocks.get(k) for k in keys]
        if outs is None:
            return found
        results = []
        for block, out in zip(found, outs):
            if block is None:
                results.append(KvResult("NOT_FOUND"))
                continue
            view = _writable_bytes(out)
            if len(block) > len(view):
                results.append(KvResult("BAD_REQUEST", len(block)))
                continue
            view[:len(block)] = block
            results.append(KvResult("OK", len(block)))
        return results

    def exists(self, keys):
        self.calls.append(("exists", len(keys)))
        return [k in self.blocks for k in keys]

    def prefix(self, keys):
        self.calls.append(("prefix", len(keys)))
        n = 0
        for k in keys:
            if k not in self.blocks:
                break
            n += 1
        return n

    def remove(self, keys):
        self.calls.append(("remove", len(keys)))
        with self._lock:
            return [self.blocks.pop(k, None) is not None for k in keys]

    def close(self):
        self.closed = True
