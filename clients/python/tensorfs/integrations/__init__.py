"""Adapters that put inference engines' KV caches in tensorfs through ``tensorfs.kv.KVStore``:
``tensorfs.integrations.lmcache`` (an LMCache remote-connector plugin) and ``tensorfs.integrations.sglang``
(an SGLang HiCache storage backend). Each imports its engine's library, so import only the one you use."""
