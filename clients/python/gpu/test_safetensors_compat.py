"""tensorfs.safetensors against the real ``safetensors`` package (installed on the GPU machine; skipped where
it is not): the same bytes written for every dtype both know, each reading the other's files, and, with a
node (TFS_GRPC), files written by safetensors loaded from tensorfs into CUDA tensors, views and copies.

    TFS_GRPC=127.0.0.1:9090 PYTHONPATH=. python3 -m unittest -v gpu.test_safetensors_compat
"""

import os
import unittest
import uuid

import torch

import tensorfs
from tensorfs import safetensors as tst

try:
    import safetensors.torch as st
except ImportError:  # pragma: no cover
    st = None

ADDRESS = os.environ.get("TFS_GRPC")
ATTRS = ["bool", "uint8", "int8", "float8_e5m2", "float8_e4m3fn", "float8_e8m0fnu", "float8_e4m3fnuz",
         "float8_e5m2fnuz", "int16", "uint16", "float16",
         "bfloat16", "int32", "uint32", "float32", "complex64", "float64", "int64", "uint64"]


def every_dtype():
    g = torch.Generator().manual_seed(7)
    out = {}
    for attr in ATTRS:
        dtype = getattr(torch, attr, None)
        if dtype is None:
            continue
        raw = torch.randint(0, 256, (3, 5, torch.tensor([], dtype=dtype).element_size()), generator=g,
                            dtype=torch.uint8)
        if attr == "bool":
            raw = raw % 2
        out["t_" + attr] = raw.reshape(-1).view(dtype).reshape(3, 5)
    out["scalar"] = torch.tensor(2.5)
    out["empty"] = torch.empty(0, 7, dtype=torch.bfloat16)
    return out


def raw_equal(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a.reshape(-1).view(torch.uint8).cpu(),
                                                                     b.reshape(-1).view(torch.uint8).cpu())


@unittest.skipIf(st is None, "the safetensors package is not installed")
class CompatTest(unittest.TestCase):
    def test_same_bytes_and_each_reads_the_other(self):
        tensors = every_dtype()
        refused = []
        try:
            theirs = st.save(tensors, metadata={"format": "pt"})
        except Exception as e:  # a dtype this safetensors does not know: leave it out, say which
            for name in list(tensors):
                try:
                    st.save({name: tensors[name]})
                except Exception:
                    refused.append(name)
                    del tensors[name]
            theirs = st.save(tensors, metadata={"format": "pt"})
            print("safetensors %s refused %s (%s)" % (getattr(st, "__version__", "?"), refused, e))
        ours = tst.save(tensors, {"format": "pt"})
        self.assertEqual(ours, theirs)
        for name, t in tst.load(theirs).items():
            self.assertTrue(raw_equal(t, tensors[name]), name)
        # Some safetensors releases write a dtype they cannot read back (the one on the GPU machine saves F8_E8M0
        # and its load raises KeyError on it, for its own bytes as for ours): such tensors are read by us only.
        unreadable = []
        for name in tensors:
            try:
                st.load(st.save({name: tensors[name]}))
            except Exception:
                unreadable.append(name)
        if unreadable:
            print("safetensors %s cannot read back its own %s" % (getattr(st, "__version__", "?"), unreadable))
        readable = {name: t for name, t in tensors.items() if name not in unreadable}
        for name, t in st.load(tst.save(readable, {"format": "pt"})).items():
            self.assertTrue(raw_equal(t, tensors[name]), name)


@unittest.skipUnless(ADDRESS and st is not None and torch.cuda.is_available(),
                     "needs TFS_GRPC, the safetensors package and a GPU")
class CudaLoadTest(unittest.TestCase):
    def test_files_written_by_safetensors_load_into_cuda(self):
        tensors = every_dtype()
        g = torch.Generator().manual_seed(8)
        for i in range(40):
            tensors["w%d" % i] = torch.randn(64 + i, 128, generator=g).to(torch.bfloat16)
        data = st.save(tensors, metadata={"format": "pt"})
        path = "/gpu-st-%s/model.safetensors" % uuid.uuid4().hex[:8]
        with tensorfs.Client(ADDRESS) as c:
            c.write_bytes(path, data)
            for copy in (False, True):
                got = tst.load_file(path, device="cuda", client=c, copy=copy)
                for name, t in tensors.items():
                    self.assertTrue(got[name].is_cuda, name)
                    self.assertTrue(raw_equal(got[name], t), name)
            c.delete(path)


if __name__ == "__main__":
    unittest.main()
