"""tensorfs.safetensors: the format (against bytes built here from its specification), round trips of every
dtype this torch holds, malformed files refused, and load_file / load_sharded / save_file through an
in-memory stand-in of the client's calls. The tests against a real node run when TFS_GRPC is set.

The specification: an unsigned 64-bit little-endian header length N, N bytes of a JSON object (optional
"__metadata__": str -> str; each tensor: {"dtype", "shape", "data_offsets": [begin, end]} relative to the
byte after the header), then the data. The reference writer sorts tensors by dtype (largest first) then
name, writes the JSON without spaces, and pads it with spaces to a multiple of 8 bytes.
"""

import json
import os
import struct
import unittest
import uuid

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

if torch is not None:
    import tensorfs
    from tensorfs import safetensors as st
    from tests.fake_node import FakeNode

ADDRESS = os.environ.get("TFS_GRPC")


def spec_file(header, data, pad=True):
    """A safetensors file built by hand from the specification."""
    raw = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        raw += b" " * ((8 - len(raw) % 8) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


# Sample values per dtype: (torch attr, values).
SAMPLES = {
    "BOOL": ("bool", [True, False, True]),
    "U8": ("uint8", [0, 7, 255]),
    "I8": ("int8", [-128, 0, 127]),
    "I16": ("int16", [-32768, 5, 32767]),
    "U16": ("uint16", [0, 1, 65535]),
    "F16": ("float16", [0.5, -2.0, 65504.0]),
    "BF16": ("bfloat16", [1.0, -3.5, 256.0]),
    "I32": ("int32", [-(1 << 31), 9, (1 << 31) - 1]),
    "U32": ("uint32", [0, 3, (1 << 32) - 1]),
    "F32": ("float32", [1.25, -0.0, 3.0e38]),
    "F64": ("float64", [1e-300, 2.5, -7.0]),
    "I64": ("int64", [-(1 << 63), 0, (1 << 63) - 1]),
    "U64": ("uint64", [0, 1, 12345]),
    "C64": ("complex64", [1 + 2j, -3j, 0.5]),
    "F8_E4M3": ("float8_e4m3fn", [1.0, -2.0, 0.5]),
    "F8_E5M2": ("float8_e5m2", [1.0, -4.0, 0.25]),
    "F8_E8M0": ("float8_e8m0fnu", [1.0, 2.0, 0.5]),
    "F8_E4M3FNUZ": ("float8_e4m3fnuz", [1.0, -2.0, 0.5]),
    "F8_E5M2FNUZ": ("float8_e5m2fnuz", [1.0, -4.0, 0.25]),
}


def sample(name, shape=(3,)):
    attr, values = SAMPLES[name]
    dtype = getattr(torch, attr)
    if attr.startswith("float8"):
        t = torch.tensor(values, dtype=torch.float32).to(dtype)
    elif attr in ("uint16", "uint32", "uint64"):
        t = torch.tensor(values, dtype=torch.int64).to(dtype)
    else:
        t = torch.tensor(values, dtype=dtype)
    return t.reshape(shape)


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.reshape(-1).view(torch.uint8).tolist() == \
        b.reshape(-1).view(torch.uint8).tolist()


@unittest.skipIf(torch is None, "torch is not installed")
class FormatTest(unittest.TestCase):
    def test_loads_a_file_built_from_the_specification(self):
        f32 = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
        i16 = struct.pack("<3h", -1, 2, -3)
        header = {"__metadata__": {"format": "pt"},
                  "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                  "b": {"dtype": "I16", "shape": [3], "data_offsets": [16, 22]},
                  "flag": {"dtype": "BOOL", "shape": [], "data_offsets": [22, 23]},
                  "empty": {"dtype": "F16", "shape": [0, 4], "data_offsets": [23, 23]}}
        data = spec_file(header, f32 + i16 + b"\x01")
        got = st.load(data)
        self.assertEqual(sorted(got), ["b", "empty", "flag", "w"])
        self.assertEqual(got["w"].dtype, torch.float32)
        self.assertEqual(got["w"].tolist(), [[1.0, 2.0], [3.0, 4.0]])
        self.assertEqual(got["b"].tolist(), [-1, 2, -3])
        self.assertEqual(got["flag"].shape, ())
        self.assertEqual(got["flag"].item(), True)
        self.assertEqual(got["empty"].shape, (0, 4))
        self.assertEqual(st.metadata_of(data), {"format": "pt"})

    def test_unpadded_header_and_misaligned_offsets_still_load(self):
        # A valid file need not be padded, and an I8 tensor first leaves the F32 one at an odd offset.
        header = {"a": {"dtype": "I8", "shape": [1], "data_offsets": [0, 1]},
                  "b": {"dtype": "F32", "shape": [1], "data_offsets": [1, 5]}}
        got = st.load(spec_file(header, b"\x05" + struct.pack("<f", 6.5), pad=False))
        self.assertEqual(got["a"].tolist(), [5])
        self.assertEqual(got["b"].tolist(), [6.5])

    def test_save_writes_the_reference_layout_byte_for_byte(self):
        a = torch.tensor([1.0, 2.0], dtype=torch.float32)
        b = torch.tensor([3], dtype=torch.int8)
        c = torch.tensor([[1.5]], dtype=torch.float16)
        d = torch.tensor([7.0], dtype=torch.float32)
        got = st.save({"c": c, "b": b, "d": d, "a": a}, metadata={"format": "pt"})
        # Sorted by dtype, largest first (F32 a, F32 d, F16 c, I8 b), then by name; metadata first.
        header = ('{"__metadata__":{"format":"pt"},'
                  '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                  '"d":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},'
                  '"c":{"dtype":"F16","shape":[1,1],"data_offsets":[12,14]},'
                  '"b":{"dtype":"I8","shape":[1],"data_offsets":[14,15]}}').encode()
        header += b" " * ((8 - len(header) % 8) % 8)
        expected = (struct.pack("<Q", len(header)) + header + struct.pack("<2f", 1.0, 2.0) + struct.pack("<f", 7.0)
                    + struct.pack("<e", 1.5) + b"\x03")
        self.assertEqual(got, expected)
        self.assertEqual(len(header) % 8, 0)

    def test_empty_files_are_padded_headers(self):
        self.assertEqual(st.save({}), struct.pack("<Q", 8) + b"{}" + b" " * 6)
        meta = b'{"__metadata__":{"framework":"pt"}}'
        self.assertEqual(st.save({}, {"framework": "pt"}), struct.pack("<Q", 40) + meta + b" " * (40 - len(meta)))
        self.assertEqual(st.load(st.save({})), {})

    def test_save_without_metadata_has_no_metadata_key(self):
        got = st.save({"x": torch.zeros(2, dtype=torch.int64)})
        n = struct.unpack("<Q", got[:8])[0]
        self.assertEqual(got[8:8 + n].rstrip(b" "), b'{"x":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}')
        self.assertIsNone(st.metadata_of(got))

    def test_every_dtype_this_torch_holds_round_trips_and_the_others_are_refused(self):
        held, refused = {}, []
        for name, (attr, _) in SAMPLES.items():
            if getattr(torch, attr, None) is None:
                refused.append(name)
                continue
            held[name] = sample(name, (3, 1))
        self.assertGreaterEqual(len(held), 10, "F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL at least")
        data = st.save(held)
        back = st.load(data)
        self.assertEqual(set(back), set(held))
        for name, t in held.items():
            self.assertTrue(same(back[name], t), name)
        for name in refused:
            size = {"U16": 2, "U32": 4, "U64": 8, "C64": 8}.get(name, 1)
            file = spec_file({"t": {"dtype": name, "shape": [2], "data_offsets": [0, 2 * size]}}, bytes(2 * size))
            with self.assertRaisesRegex(st.SafetensorError, "needs torch"):
                st.load(file)
        for name in ("F4", "F6_E2M3", "F6_E3M2"):
            file = spec_file({"t": {"dtype": name, "shape": [2], "data_offsets": [0, 1]}}, b"\x00")
            with self.assertRaisesRegex(st.SafetensorError, "less than a byte"):
                st.load(file)

    def test_values_survive_from_bytes_written_by_hand_for_each_dtype(self):
        # The bytes of each held dtype, packed here with struct, load as the values packed.
        packs = {"F64": "d", "F32": "f", "F16": "e", "I64": "q", "I32": "i", "I16": "h", "I8": "b", "U8": "B"}
        for name, code in packs.items():
            values = SAMPLES[name][1]
            raw = struct.pack("<%d%s" % (len(values), code), *values)
            got = st.load(spec_file({"t": {"dtype": name, "shape": [3], "data_offsets": [0, len(raw)]}}, raw))
            self.assertEqual(got["t"].tolist(), list(struct.unpack("<3" + code, raw)), name)
        # bfloat16 is the high half of a float32.
        raw = b"".join(struct.pack("<f", v)[2:] for v in SAMPLES["BF16"][1])
        got = st.load(spec_file({"t": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}}, raw))
        self.assertEqual(got["t"].float().tolist(), SAMPLES["BF16"][1])

    def test_non_contiguous_and_scalar_tensors_save_their_values(self):
        base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
        tensors = {"t": base.t(), "s": torch.tensor(3.5, dtype=torch.float64)}
        back = st.load(st.save(tensors))
        self.assertTrue(torch.equal(back["t"], base.t()))
        self.assertEqual(back["s"].shape, ())
        self.assertEqual(back["s"].item(), 3.5)

    def test_bad_arguments_to_save_are_refused(self):
        with self.assertRaises(TypeError):
            st.save({"a": [1, 2]})
        with self.assertRaises(TypeError):
            st.save({"a": torch.zeros(1)}, metadata={"k": 1})
        with self.assertRaises(st.SafetensorError):
            st.save({"__metadata__": torch.zeros(1)})


@unittest.skipIf(torch is None, "torch is not installed")
class MalformedTest(unittest.TestCase):
    GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
            "b": {"dtype": "I8", "shape": [2], "data_offsets": [8, 10]}}

    def refused(self, data, pattern):
        with self.assertRaisesRegex(st.SafetensorError, pattern):
            st.load(data)

    def with_entry(self, name, entry):
        header = dict(self.GOOD)
        header[name] = entry
        return header

    def test_lengths(self):
        self.refused(b"\x01\x02", "fewer than the 8")
        self.refused(struct.pack("<Q", 200_000_000) + b"{}", "more than")
        self.refused(struct.pack("<Q", 1) + b"{", "too small")
        self.refused(struct.pack("<Q", 64) + b"{}", "fewer than the 8 \\+ 64")

    def test_header_not_json_object(self):
        self.refused(struct.pack("<Q", 4) + b"[1] ", "does not start with")
        self.refused(struct.pack("<Q", 4) + b"{x} ", "not UTF-8 JSON")
        self.refused(struct.pack("<Q", 4) + b"{\xff} ", "not UTF-8 JSON")

    def test_entries(self):
        data = bytes(10)
        self.refused(spec_file(self.with_entry("c", {"dtype": "F99", "shape": [], "data_offsets": [10, 10]}), data),
                     "unknown dtype")
        self.refused(spec_file(self.with_entry("c", {"dtype": "F32", "shape": [-1], "data_offsets": [10, 10]}), data),
                     "shape")
        self.refused(spec_file(self.with_entry("c", {"dtype": "F32", "shape": [1.5], "data_offsets": [10, 10]}), data),
                     "shape")
        self.refused(spec_file(self.with_entry("c", {"dtype": "F32", "shape": [0], "data_offsets": [10]}), data),
                     "data_offsets")
        self.refused(spec_file(self.with_entry("c", {"dtype": "F32", "shape": [0], "data_offsets": [11, 10]}), data),
                     "data_offsets")
        self.refused(spec_file(self.with_entry("c", [1, 2]), data), "not an object")
        self.refused(spec_file(dict(self.GOOD, __metadata__={"k": 3}), data), "__metadata__")

    def test_offsets_against_shape_and_region(self):
        header = self.with_entry("a", {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]})
        self.refused(spec_file(header, bytes(10)), "12 bytes, but data_offsets")
        gap = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
               "b": {"dtype": "I8", "shape": [2], "data_offsets": [9, 11]}}
        self.refused(spec_file(gap, bytes(11)), "gaps or overlaps")
        overlap = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                   "b": {"dtype": "I8", "shape": [2], "data_offsets": [6, 8]}}
        self.refused(spec_file(overlap, bytes(8)), "gaps or overlaps")
        self.refused(spec_file(self.GOOD, bytes(9)), "its header describes")   # truncated
        self.refused(spec_file(self.GOOD, bytes(11)), "its header describes")  # trailing bytes


@unittest.skipIf(torch is None, "torch is not installed")
class ThroughClientTest(unittest.TestCase):
    """load_file / load_sharded / save_file against the in-memory stand-in of the client."""

    def setUp(self):
        self.node = FakeNode()
        g = torch.Generator().manual_seed(3)
        self.tensors = {"embed": torch.randn(64, 32, generator=g).to(torch.bfloat16),
                        "layer.0.w": torch.randn(32, 32, generator=g),
                        "layer.0.b": torch.randn(32, generator=g).to(torch.float16),
                        "mask": torch.rand(7, generator=g) > 0.5,
                        "ids": torch.arange(5, dtype=torch.int64),
                        "none": torch.empty(0, 3)}

    def test_save_file_then_load_file_views_and_copies(self):
        info = st.save_file(self.tensors, "/m/model.safetensors", metadata={"format": "pt"}, client=self.node)
        self.assertEqual(self.node.files["/m/model.safetensors"], st.save(self.tensors, {"format": "pt"}))
        self.assertEqual(info.size, len(self.node.files["/m/model.safetensors"]))
        for copy in (False, True):
            got = st.load_file("/m/model.safetensors", client=self.node, copy=copy)
            self.assertEqual(set(got), set(self.tensors))
            for name, t in self.tensors.items():
                self.assertTrue(same(got[name], t), name)
            storages = {got[n].storage().data_ptr() for n in got if got[n].numel()}
            self.assertEqual(len(storages) == 1, not copy, "views share one buffer; copies do not")
        # One batched read of the data region, after the header.
        header_end = 8 + struct.unpack("<Q", self.node.files["/m/model.safetensors"][:8])[0]
        self.assertEqual(self.node.reads[-1][:2], ("/m/model.safetensors", header_end))

    def test_views_outlive_the_loader_and_are_writable(self):
        st.save_file(self.tensors, "/m/a.safetensors", client=self.node)
        got = st.load_file("/m/a.safetensors", client=self.node)
        w = got.pop("layer.0.w")
        del got
        import gc

        gc.collect()
        self.assertTrue(torch.equal(w, self.tensors["layer.0.w"]))
        w.add_(1)
        self.assertTrue(torch.equal(w, self.tensors["layer.0.w"] + 1))

    def test_large_data_region_is_read_in_pieces_all_in_flight(self):
        old = st.READ_PIECE
        st.READ_PIECE = 1000
        try:
            st.save_file(self.tensors, "/m/p.safetensors", client=self.node)
            self.node.reads, self.node.events = [], []
            got = st.load_file("/m/p.safetensors", client=self.node)
        finally:
            st.READ_PIECE = old
        self.assertGreater(len(self.node.reads), 5)
        # Every piece is submitted before the first wait: all in flight at once.
        events = "".join({"read": "s", "run": "w"}[e] for e in self.node.events)
        self.assertEqual(events, "s" * len(self.node.reads) + "w" * len(self.node.reads))
        for name, t in self.tensors.items():
            self.assertTrue(same(got[name], t), name)

    def test_missing_and_malformed_files(self):
        with self.assertRaises(tensorfs.TfsError):
            st.load_file("/m/none.safetensors", client=self.node)
        self.node.files["/m/bad"] = struct.pack("<Q", 8) + b'{"a":1} '
        with self.assertRaisesRegex(st.SafetensorError, "/m/bad: tensor 'a' is not an object"):
            st.load_file("/m/bad", client=self.node)
        good = st.save(self.tensors)
        self.node.files["/m/short"] = good[:-3]
        with self.assertRaisesRegex(st.SafetensorError, "its header describes"):
            st.load_file("/m/short", client=self.node)

    def test_header_larger_than_the_first_read(self):
        many = {"t%04d" % i: torch.full((1,), i, dtype=torch.int32) for i in range(3000)}
        st.save_file(many, "/m/many.safetensors", client=self.node)
        self.assertGreater(struct.unpack("<Q", self.node.files["/m/many.safetensors"][:8])[0], 64 << 10)
        got = st.load_file("/m/many.safetensors", client=self.node)
        self.assertEqual(len(got), 3000)
        self.assertEqual(got["t2999"].item(), 2999)

    def write_sharded(self, weight_map=None):
        names = sorted(self.tensors)
        shards = {"model-00001-of-00002.safetensors": names[:3], "model-00002-of-00002.safetensors": names[3:]}
        wm = {}
        for shard, ns in shards.items():
            st.save_file({n: self.tensors[n] for n in ns}, "/hf/m/" + shard, client=self.node)
            wm.update({n: shard for n in ns})
        index = {"metadata": {"total_size": 0}, "weight_map": weight_map if weight_map is not None else wm}
        self.node.files["/hf/m/model.safetensors.index.json"] = json.dumps(index).encode()
        return wm

    def test_load_sharded(self):
        self.write_sharded()
        got = st.load_sharded("/hf/m/model.safetensors.index.json", client=self.node)
        self.assertEqual(set(got), set(self.tensors))
        for name, t in self.tensors.items():
            self.assertTrue(same(got[name], t), name)

    def test_load_sharded_refuses_a_wrong_index(self):
        wm = self.write_sharded()
        wm = dict(wm, extra="model-00001-of-00002.safetensors")
        self.write_sharded(wm)
        with self.assertRaisesRegex(st.SafetensorError, "'extra' is not in shard"):
            st.load_sharded("/hf/m/model.safetensors.index.json", client=self.node)
        self.write_sharded({"a": "../other.safetensors"})
        with self.assertRaisesRegex(st.SafetensorError, "outside its directory"):
            st.load_sharded("/hf/m/model.safetensors.index.json", client=self.node)
        self.node.files["/hf/m/model.safetensors.index.json"] = b'{"nothing": 1}'
        with self.assertRaisesRegex(st.SafetensorError, "no weight_map"):
            st.load_sharded("/hf/m/model.safetensors.index.json", client=self.node)
        self.write_sharded({"a": "missing.safetensors"})
        with self.assertRaises(tensorfs.TfsError):
            st.load_sharded("/hf/m/model.safetensors.index.json", client=self.node)


@unittest.skipUnless(ADDRESS and torch is not None, "set TFS_GRPC=host:port of a tensorfs node's gRPC endpoint")
class NodeTest(unittest.TestCase):
    """Against a real node: save_file, load_file (views and copies), load_sharded, a malformed file."""

    @classmethod
    def setUpClass(cls):
        cls.client = tensorfs.Client(ADDRESS)
        cls.root = "/pytest-st-" + uuid.uuid4().hex[:10]

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def test_round_trip_through_the_node(self):
        g = torch.Generator().manual_seed(5)
        tensors = {"w%d" % i: torch.randn(256, 64 + i, generator=g).to(torch.bfloat16) for i in range(20)}
        tensors["b"] = torch.arange(100, dtype=torch.int32)
        tensors["m"] = torch.tensor([True, False])
        path = self.root + "/model.safetensors"
        st.save_file(tensors, path, metadata={"format": "pt"}, client=self.client)
        self.assertEqual(self.client.read_bytes(path), st.save(tensors, {"format": "pt"}))
        for copy in (False, True):
            got = st.load_file(path, client=self.client, copy=copy)
            for name, t in tensors.items():
                self.assertTrue(same(got[name], t), name)
        local = getattr(self.client, "_local", None)
        if local is not None:  # the segments made here are not left registered on the node's channel
            self.assertEqual([n for n in local._host_ids if n.startswith("tfs-st-")], [])

    def test_sharded_and_malformed_through_the_node(self):
        a = {"x": torch.arange(10, dtype=torch.float32)}
        b = {"y": torch.arange(4, dtype=torch.int16).reshape(2, 2)}
        st.save_file(a, self.root + "/hf/s1.safetensors", client=self.client)
        st.save_file(b, self.root + "/hf/s2.safetensors", client=self.client)
        index = {"weight_map": {"x": "s1.safetensors", "y": "s2.safetensors"}}
        self.client.write_bytes(self.root + "/hf/model.safetensors.index.json", json.dumps(index).encode())
        got = st.load_sharded(self.root + "/hf/model.safetensors.index.json", client=self.client)
        self.assertTrue(torch.equal(got["x"], a["x"]))
        self.assertTrue(torch.equal(got["y"], b["y"]))
        self.client.write_bytes(self.root + "/bad.safetensors", struct.pack("<Q", 10) + b"not json!!")
        with self.assertRaises(st.SafetensorError):
            st.load_file(self.root + "/bad.safetensors", client=self.client)


if __name__ == "__main__":
    unittest.main()
