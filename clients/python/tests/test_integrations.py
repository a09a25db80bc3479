"""The LMCache connector plugin and the SGLang HiCache backend, against stand-ins of their base classes
(tests/engine_standins.py says which upstream files and commits they mirror) and an in-memory KVStore;
with TFS_GRPC set and tensorfs.kv present, also against a real node's KV blocks."""

import asyncio
import os
import unittest
import uuid
from unittest import mock

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

if torch is not None:
    from tests import engine_standins as es

    es.install()
    from tensorfs.integrations import lmcache as tlm
    from tensorfs.integrations import sglang as tsg
    from tensorfs.integrations._kv import key_name

ADDRESS = os.environ.get("TFS_GRPC")


def run(coro):
    return asyncio.run(coro)


def chunk(backend, tokens, seed, layers=2, heads_x_size=8, dtype=None):
    dtype = dtype or torch.bfloat16
    obj = backend.allocate(torch.Size([2, layers, tokens, heads_x_size]), dtype, es.MemoryFormat.KV_2LTD)
    g = torch.Generator().manual_seed(seed)
    obj.raw_data.copy_(torch.randint(0, 256, (obj.raw_data.numel(),), generator=g, dtype=torch.uint8))
    return obj


@unittest.skipIf(torch is None, "torch is not installed")
class KeyNameTest(unittest.TestCase):
    def test_names_are_single_segments_and_distinct(self):
        self.assertEqual(key_name("vllm@meta-llama/Llama-3@1@0@ff"), "vllm@meta-llama%2FLlama-3@1@0@ff")
        self.assertNotEqual(key_name("a/b"), key_name("a%2Fb"))
        self.assertEqual(key_name(".."), "%2E%2E")
        long = key_name("k" * 1000)
        self.assertLessEqual(len(long.encode()), 255)
        self.assertNotEqual(long, key_name("k" * 999 + "j"))


@unittest.skipIf(torch is None, "torch is not installed")
class LMCacheTest(unittest.TestCase):
    URL = "tensorfs://127.0.0.1:9090/lmc"

    def connector(self, extra=None, metadata=None):
        self.store = es.MemoryKVStore()
        self.backend = es.LocalCPUBackend()
        extra = dict({"remote_storage_plugin.tensorfs.module_path": "tensorfs.integrations.lmcache",
                      "remote_storage_plugin.tensorfs.class_name": "TensorfsConnectorAdapter"}, **(extra or {}))
        config = es.LMCacheEngineConfig(self.URL, ["tensorfs"], extra)
        context = es.ConnectorContext(self.URL, None, self.backend, config, metadata, "tensorfs")
        with mock.patch.object(tlm, "open_store", return_value=self.store) as opened:
            connector = es.lmcache_plugin_connector(config, context)
        opened.assert_called_once_with("127.0.0.1:9090", "lmc", None)
        self.assertIsInstance(connector, es.RemoteConnector)
        return connector

    def key(self, h):
        return es.CacheEngineKey("vllm", "meta-llama/Llama-3.1-8B", 1, 0, h)

    def test_loaded_as_a_plugin_with_every_batched_flag(self):
        c = self.connector()
        for flag in ("support_batched_get", "support_batched_put", "support_batched_async_contains",
                     "support_batched_contains", "support_batched_get_non_blocking"):
            self.assertTrue(getattr(c, flag)(), flag)
        self.assertFalse(tlm.TensorfsConnectorAdapter().can_parse("redis://x:1"))
        with self.assertRaisesRegex(ValueError, "names no tenant"):
            tlm.parse_url("tensorfs://h:1/")

    def test_put_get_exists_remove_with_chunk_metadata(self):
        c = self.connector()
        a = chunk(self.backend, 16, 1)
        run(c.put(self.key(1), a))
        self.assertTrue(run(c.exists(self.key(1))))
        self.assertTrue(c.exists_sync(self.key(1)))
        self.assertFalse(c.exists_sync(self.key(2)))
        got = run(c.get(self.key(1)))
        self.assertEqual(got.get_shape(), a.get_shape())
        self.assertEqual(got.get_dtype(), torch.bfloat16)
        self.assertEqual(got.get_memory_format(), es.MemoryFormat.KV_2LTD)
        self.assertTrue(torch.equal(got.raw_data, a.raw_data))
        self.assertIsNone(run(c.get(self.key(2))))
        self.assertEqual(list(self.store.blocks), ["vllm@meta-llama%2FLlama-3.1-8B@1@0@1"])
        self.assertTrue(c.remove_sync(self.key(1)))
        self.assertFalse(c.exists_sync(self.key(1)))

    def test_batched_calls_are_one_store_call_each(self):
        c = self.connector()
        objs = [chunk(self.backend, 16, i) for i in range(5)]
        keys = [self.key(i) for i in range(5)]
        run(c.batched_put(keys[:3], objs[:3]))
        self.assertEqual(self.store.calls[-1], ("put", 3))
        self.assertEqual(run(c.batched_async_contains("look-1", keys)), 3)
        self.assertEqual(self.store.calls[-1], ("prefix", 5))
        run(c.batched_put(keys[4:], objs[4:]))
        self.assertEqual(c.batched_contains(keys), [True, True, True, False, False])
        self.assertEqual(c.batched_contains(keys, stop_after_first_not_exits=False), [True, True, True, False, True])
        got = run(c.batched_get(keys))
        self.assertEqual(self.store.calls[-1], ("get", 5))
        self.assertIsNone(got[3])
        for i in (0, 1, 2, 4):
            self.assertTrue(torch.equal(got[i].raw_data, objs[i].raw_data), i)
        prefix = run(c.batched_get_non_blocking("look-2", keys))
        self.assertEqual(len(prefix), 3)
        self.assertEqual(self.store.blocks[key_name(keys[0].to_string())][:8], b"TFSLMC1\0")

    def test_a_block_that_is_not_a_chunk_is_refused(self):
        c = self.connector()
        self.store.blocks[key_name(self.key(9).to_string())] = b"garbage"
        with self.assertRaisesRegex(ValueError, "shorter than its"):
            run(c.get(self.key(9)))

    def test_without_chunk_metadata_reads_into_the_allocated_chunk_and_cuts_partial_ones(self):
        metadata = es.LMCacheMetadata(kv_shape=(2, 2, 16, 2, 4), kv_dtype=torch.float16)
        c = self.connector(extra={"save_chunk_meta": False}, metadata=metadata)
        self.assertFalse(c.save_chunk_meta)
        full = chunk(self.backend, 16, 3, dtype=torch.float16)
        part = chunk(self.backend, 5, 4, dtype=torch.float16)
        run(c.batched_put([self.key(1), self.key(2)], [full, part]))
        self.assertEqual(len(self.store.blocks[key_name(self.key(1).to_string())]), full.raw_data.numel())
        got_full, got_part, missing = run(c.batched_get([self.key(1), self.key(2), self.key(3)]))
        self.assertTrue(torch.equal(got_full.raw_data, full.raw_data))
        self.assertEqual(got_part.get_shape()[2], 5)
        self.assertTrue(torch.equal(got_part.raw_data, part.raw_data))
        self.assertIsNone(missing)
        live_before = len(self.backend.live)
        self.assertIsNone(run(c.get(self.key(7))))
        self.assertEqual(len(self.backend.live), live_before, "a miss gives its allocation back")

    def test_close_closes_the_store_it_opened(self):
        c = self.connector()
        run(c.close())
        self.assertTrue(self.store.closed)

    def test_list_says_why_it_cannot(self):
        with self.assertRaisesRegex(NotImplementedError, "cannot be listed"):
            run(self.connector().list())


@unittest.skipIf(torch is None, "torch is not installed")
class SGLangTest(unittest.TestCase):
    def backend(self, mla=False, tp_rank=0):
        self.store = es.MemoryKVStore()
        config = es.HiCacheStorageConfig(tp_rank=tp_rank, tp_size=2, pp_rank=0, pp_size=1, attn_cp_rank=0,
                                         attn_cp_size=1, is_mla_model=mla, enable_storage_metrics=False,
                                         is_page_first_layout=True, model_name="Qwen/Qwen3-8B",
                                         extra_config={"backend_name": "tensorfs",
                                                       "module_path": "tensorfs.integrations.sglang",
                                                       "class_name": "TensorfsHiCacheStorage",
                                                       "tensorfs_address": "127.0.0.1:9090",
                                                       "tensorfs_tenant": "sg"})
        with mock.patch.object(tsg, "open_store", return_value=self.store) as opened:
            storage = es.sglang_dynamic_backend(config)
        opened.assert_called_once_with("127.0.0.1:9090", "sg", None)
        self.assertIsInstance(storage, es.HiCacheStorage)
        return storage

    def test_get_set_exists_and_their_batches(self):
        s = self.backend()
        pages = [torch.randint(0, 256, (64,), dtype=torch.uint8) for _ in range(4)]
        self.assertTrue(s.set("h0", pages[0]))
        self.assertTrue(s.batch_set(["h1", "h2"], pages[1:3]))
        self.assertEqual(self.store.calls[-1], ("put", 2))
        self.assertTrue(s.exists("h1"))
        self.assertFalse(s.exists("h3"))
        self.assertEqual(s.batch_exists(["h0", "h1", "h3", "h2"]), 2)
        target = torch.zeros(64, dtype=torch.uint8)
        self.assertIs(s.get("h2", target), target)
        self.assertTrue(torch.equal(target, pages[2]))
        self.assertIsNone(s.get("h3", torch.zeros(64, dtype=torch.uint8)))
        got = s.batch_get(["h0", "h3", "h1"])
        self.assertTrue(torch.equal(got[0], pages[0]))
        self.assertIsNone(got[1])
        self.assertTrue(torch.equal(got[2], pages[1]))
        self.assertIn("h0_Qwen-Qwen3-8B_0_2", self.store.blocks)
        with self.assertRaises(ValueError):
            s.set("h9", None)

    def test_ranks_keep_their_own_pages_unless_mla(self):
        self.assertNotEqual(self.backend(tp_rank=0)._name("h"), self.backend(tp_rank=1)._name("h"))
        self.assertEqual(self.backend(mla=True, tp_rank=0)._name("h"), self.backend(mla=True, tp_rank=1)._name("h"))

    def test_zero_copy_v1_calls_move_pages_of_the_host_pool(self):
        s = self.backend()
        pool = es.HostKVPool(tokens=64, token_bytes=16, page_size=4)
        s.register_mem_pool_host(pool)
        pool.data.copy_(torch.randint(0, 256, pool.data.shape, dtype=torch.uint8))
        original = pool.data.clone()
        keys = ["p0", "p1", "p2"]
        indices = torch.tensor([8, 9, 10, 11, 20, 21, 22, 23, 40, 41, 42, 43])
        self.assertEqual(s.batch_set_v1(keys, indices), [True, True, True])
        self.assertEqual(self.store.calls[-1], ("put", 3))
        pool.data.zero_()
        into = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 30, 31, 32, 33])
        self.assertEqual(s.batch_get_v1(["p2", "p0", "missing", "p1"], into), [True, True, False, True])
        self.assertEqual(self.store.calls[-1], ("get", 4))
        self.assertTrue(torch.equal(pool.data[0:4], original[40:44]))
        self.assertTrue(torch.equal(pool.data[4:8], original[8:12]))
        self.assertTrue(torch.equal(pool.data[12:16], torch.zeros(4, 16, dtype=torch.uint8)))
        self.assertTrue(torch.equal(pool.data[30:34], original[20:24]))
        with self.assertRaisesRegex(ValueError, "host indices"):
            s.batch_get_v1(["p0"], torch.tensor([0, 1]))


def _kv_store_available():
    try:
        import tensorfs.kv  # noqa: F401
        return True
    except ImportError:
        return False


@unittest.skipUnless(ADDRESS and torch is not None and _kv_store_available(),
                     "set TFS_GRPC=host:port of a tensorfs node (and have tensorfs.kv)")
class NodeTest(unittest.TestCase):
    """Both adapters on a real node's KV blocks through tensorfs.kv.KVStore."""

    def test_lmcache_connector_on_a_node(self):
        from tensorfs.integrations._kv import open_store

        tenant = "pytest-lmc-" + uuid.uuid4().hex[:8]
        store = open_store(ADDRESS, tenant)
        backend = es.LocalCPUBackend()
        c = tlm.TensorfsConnector(store, None, backend)
        keys = [es.CacheEngineKey("vllm", "m/x", 1, 0, i) for i in range(4)]
        objs = [chunk(backend, 16, i) for i in range(3)]
        run(c.batched_put(keys[:3], objs))
        self.assertEqual(run(c.batched_async_contains("l", keys)), 3)
        got = run(c.batched_get(keys))
        for i in range(3):
            self.assertTrue(torch.equal(got[i].raw_data, objs[i].raw_data), i)
        self.assertIsNone(got[3])
        self.assertTrue(c.remove_sync(keys[0]))
        self.assertFalse(c.exists_sync(keys[0]))
        run(c.close())

    def test_lmcache_connector_without_chunk_metadata_on_a_node(self):
        from tensorfs.integrations._kv import open_store

        store = open_store(ADDRESS, "pytest-lmc-" + uuid.uuid4().hex[:8])
        backend = es.LocalCPUBackend()
        config = es.LMCacheEngineConfig("tensorfs://x:1/t", ["tensorfs"], {"save_chunk_meta": False})
        metadata = es.LMCacheMetadata(kv_shape=(2, 2, 16, 2, 4), kv_dtype=torch.float16)
        c = tlm.TensorfsConnector(store, None, backend, config, metadata)
        self.assertFalse(c.save_chunk_meta)
        keys = [es.CacheEngineKey("vllm", "m", 1, 0, i) for i in range(3)]
        full, part = chunk(backend, 16, 1, dtype=torch.float16), chunk(backend, 3, 2, dtype=torch.float16)
        run(c.batched_put(keys[:2], [full, part]))
        got = run(c.batched_get(keys))
        self.assertTrue(torch.equal(got[0].raw_data, full.raw_data))
        self.assertEqual(got[1].get_shape()[2], 3)
        self.assertTrue(torch.equal(got[1].raw_data, part.raw_data))
        self.assertIsNone(got[2])
        run(c.close())

    def test_sglang_backend_on_a_node(self):
        from tensorfs.integrations._kv import open_store

        store = open_store(ADDRESS, "pytest-sg-" + uuid.uuid4().hex[:8])
        s = tsg.TensorfsHiCacheStorage(None, {}, store=store)
        pool = es.HostKVPool(tokens=32, token_bytes=1024, page_size=8)
        s.register_mem_pool_host(pool)
        pool.data.copy_(torch.randint(0, 256, pool.data.shape, dtype=torch.uint8))
        original = pool.data.clone()
        self.assertEqual(s.batch_set_v1(["a", "b"], torch.arange(0, 16)), [True, True])
        pool.data.zero_()
        self.assertEqual(s.batch_get_v1(["b", "a", "c"], torch.arange(8, 32)), [True, True, False])
        self.assertTrue(torch.equal(pool.data[8:16], original[8:16]))
        self.assertTrue(torch.equal(pool.data[16:24], original[0:8]))
        self.assertEqual(s.batch_exists(["a", "b", "c"]), 2)
        store.close()


if __name__ == "__main__":
    unittest.main()
