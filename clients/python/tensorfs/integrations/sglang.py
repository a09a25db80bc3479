"""An SGLang HiCache storage backend on tensorfs KV blocks, loaded as a dynamic backend:

    --hicache-storage-backend dynamic
    --hicache-storage-backend-extra-config '{"backend_name": "tensorfs",
        "module_path": "tensorfs.integrations.sglang", "class_name": "TensorfsHiCacheStorage",
        "tensorfs_address": "127.0.0.1:9090", "tensorfs_tenant": "sglang"}'
    (optional: "tensorfs_token_file"; else $TFS_TOKEN)

Written against SGLang's ``HiCacheStorage`` (python/sglang/srt/mem_cache/hicache_storage.py) and its
``StorageBackendFactory`` (python/sglang/srt/mem_cache/storage/backend_factory.py, which makes a dynamic
backend as ``cls(storage_config, kwargs)`` and then registers the host memory pool), as of SGLang main of
2026 (the ``batch_get_v1``/``batch_set_v1`` zero-copy interface with host indices).

A page is one KV block named ``<page key>_<model>[_<tp rank>_<tp size>][_<pp size>_<pp rank>]``: like
SGLang's file backend, ranks that hold different heads of a page keep different blocks (one block per page
under MLA, whose ranks hold the same bytes). Every batched call is one KVStore call.
"""

from sglang.srt.mem_cache.hicache_storage import HiCacheStorage

from ._kv import hit, key_name, open_store


def _suffix(config):
    if config is None:
        return ""
    model = (getattr(config, "model_name", None) or "").replace("/", "-")
    suffix = "_" + model
    if not getattr(config, "is_mla_model", False):
        suffix += "_%d_%d" % (config.tp_rank, config.tp_size)
    if getattr(config, "pp_size", 1) > 1:
        suffix += "_%d_%d" % (config.pp_size, config.pp_rank)
    if getattr(config, "attn_cp_size", 1) > 1:
        suffix += "_cp%d_%d" % (config.attn_cp_rank, config.attn_cp_size)
    return suffix


class TensorfsHiCacheStorage(HiCacheStorage):
    """HiCache pages as tensorfs KV blocks of one tenant. ``storage_config``: SGLang's
    HiCacheStorageConfig (its ``extra_config`` names the node, tenant and token); ``store``: a KVStore to
    use instead of opening one (it is then not closed here). Thread-safe as the KVStore is."""

    def __init__(self, storage_config=None, kwargs=None, store=None):
        extra = (getattr(storage_config, "extra_config", None) or {}) if storage_config is not None else {}
        self.config = storage_config
        self.suffix = _suffix(storage_config)
        self._own_store = store is None
        if store is None:
            token = None
            if extra.get("tensorfs_token_file"):
                with open(extra["tensorfs_token_file"]) as f:
                    token = f.read().strip()
            store = open_store(extra.get("tensorfs_address"), extra.get("tensorfs_tenant", "sglang"), token)
        self.store = store

    def _name(self, key):
        return key_name(key + self.suffix)

    def _names(self, keys):
        return [self._name(k) for k in keys]

    # -- the original interface: tensors in, tensors out -------------------------------------------------------

    def get(self, key, target_location=None, target_sizes=None):
        """The page of ``key`` read into ``target_location`` (a contiguous CPU tensor it must fit) and that
        tensor returned; without a target, a new uint8 tensor of the block's bytes. None on a miss."""
        return self.batch_get([key], None if target_location is None else [target_location])[0]

    def batch_get(self, keys, target_locations=None, target_sizes=None):
        import torch

        names = self._names(keys)
        if target_locations is None:
            return [None if b is None else _uint8(torch, b) for b in self.store.get(names)]
        results = self.store.get(names, outs=list(target_locations))
        return [t if hit(r) else None for t, r in zip(target_locations, results)]

    def set(self, key, value=None, target_location=None, target_sizes=None):
        """Stores ``value`` (a contiguous CPU tensor) as the page of ``key``; True when stored."""
        if value is None:
            raise ValueError("set needs the page's tensor as value")
        return self.batch_set([key], [value])

    def batch_set(self, keys, values=None, target_locations=None, target_sizes=None):
        """True when every page was stored."""
        if values is None or len(values) != len(keys):
            raise ValueError("batch_set needs one value per key")
        return all(hit(r) for r in self.store.put(self._names(keys), [_contiguous(v) for v in values]))

    def exists(self, key):
        return bool(self.store.exists([self._name(key)])[0])

    def batch_exists(self, keys, extra_info=None):
        """How many of ``keys``, from the first, are present."""
        return self.store.prefix(self._names(keys))

    # -- zero-copy interface: pages of the registered host pool -------------------------------------------

    def _page_size(self):
        return getattr(self.mem_pool_host, "page_size", 1) or 1

    def _pages(self, keys, host_indices):
        pool = getattr(self, "mem_pool_host", None)
        if pool is None:
            raise RuntimeError("no host memory pool registered (register_mem_pool_host)")
        page = self._page_size()
        if host_indices.numel() != len(keys) * page:
            raise ValueError("%d host indices for %d pages of %d tokens" % (host_indices.numel(), len(keys), page))
        return pool, [int(host_indices[i * page].item()) for i in range(len(keys))]

    def batch_get_v1(self, keys, host_indices, extra_info=None):
        """Reads the pages of ``keys`` into the host pool at ``host_indices`` (``page_size`` indices a page);
        per key, True when it was found and placed."""
        pool, starts = self._pages(keys, host_indices)
        staging = [pool.get_dummy_flat_data_page() for _ in keys]
        results = self.store.get(self._names(keys), outs=staging)
        out = []
        for start, page, r in zip(starts, staging, results):
            if hit(r):
                pool.set_from_flat_data_page(start, page)
                out.append(True)
            else:
                out.append(False)
        return out

    def batch_set_v1(self, keys, host_indices, extra_info=None):
        """Stores the host pool's pages at ``host_indices`` as the pages of ``keys``; per key, True when stored."""
        pool, starts = self._pages(keys, host_indices)
        pages = [_contiguous(pool.get_data_page(start, flat=True)) for start in starts]
        return [hit(r) for r in self.store.put(self._names(keys), pages)]

    def clear(self):
        """Nothing to do: the blocks are kvcache, which the node evicts; a tenant's blocks are not listed."""

    def close(self):
        if self._own_store:
            self.store.close()


def _contiguous(t):
    if hasattr(t, "is_contiguous") and not t.is_contiguous():
        return t.contiguous()
    return t


def _uint8(torch, data):
    return torch.frombuffer(bytearray(data), dtype=torch.uint8) if len(data) else torch.empty(0, dtype=torch.uint8)
