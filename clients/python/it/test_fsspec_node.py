"""tensorfs.fsspec against a running node, with the fsspec package (Debian's python3-fsspec):
TFS_GRPC=127.0.0.1:9090 TFS_TOKEN=... python3 -m unittest discover -s it -p 'test_fsspec_node.py'
(PythonCheckpointIT runs it with every test under it/).

Bytes written one way are read back another (fsspec files, cat_file ranges, the plain client), compared
exactly; reads through the local channel and through gRPC alike. PyTorch DCP's FsspecWriter/FsspecReader
save and load a state dict through the filesystem where torch has them (torch 2.x; skipped with the
reason on torch 1.13, which has no torch.distributed.checkpoint)."""

import os
import random
import subprocess
import sys
import tempfile
import textwrap
import unittest
import uuid

import fsspec

import tensorfs
from tensorfs.fsspec import TensorfsFileSystem

ADDRESS = os.environ.get("TFS_GRPC")
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _dcp_fsspec():
    """(FsspecWriter, FsspecReader, save, load) of this torch, or the reason there are none."""
    try:
        import torch.distributed.checkpoint as dcp
    except ImportError as e:
        return None, "this torch has no torch.distributed.checkpoint (%s)" % e
    try:
        from torch.distributed.checkpoint import FsspecReader, FsspecWriter
    except ImportError:
        try:
            from torch.distributed.checkpoint._fsspec_filesystem import FsspecReader, FsspecWriter
        except ImportError as e:
            return None, "this torch's DCP has no FsspecWriter/FsspecReader (%s)" % e
    save = getattr(dcp, "save", None) or dcp.save_state_dict
    load = getattr(dcp, "load", None) or dcp.load_state_dict
    return (FsspecWriter, FsspecReader, save, load), None


def _pyproject():
    """pyproject.toml's [project] table (tomllib on Python 3.11+; before it, the two entries this test reads)."""
    path = os.path.join(HERE, "pyproject.toml")
    try:
        import tomllib
    except ImportError:
        import re

        text = open(path).read()
        section = text.split('[project.entry-points."fsspec.specs"]', 1)[1].split("\n[", 1)[0]
        specs = dict(re.findall(r'^(\w+) = "([^"]+)"', section, re.M))
        return {"version": re.search(r'^version = "([^"]+)"', text, re.M).group(1),
                "entry-points": {"fsspec.specs": specs}}
    with open(path, "rb") as f:
        return tomllib.load(f)["project"]


class _Counting:
    """Counts the bytes a client's read paths return (to show reads are ranged)."""

    def __init__(self, client):
        self.bytes = 0
        self.client = client
        self._read_bytes, self._run = client.read_bytes, client._run

        def read_bytes(path, offset=0, length=0):
            data = self._read_bytes(path, offset, length)
            self.bytes += len(data)
            return data

        def run(request, timeout):
            n = self._run(request, timeout)
            if request.op == "PREADV":
                self.bytes += n
            return n

        client.read_bytes, client._run = read_bytes, run

    def close(self):
        self.client.read_bytes, self.client._run = self._read_bytes, self._run


@unittest.skipUnless(ADDRESS, "set TFS_GRPC=host:port of a tensorfs node's gRPC endpoint")
class FsspecNodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fs = TensorfsFileSystem(address=ADDRESS, skip_instance_cache=True)
        cls.grpc_fs = TensorfsFileSystem(address=ADDRESS, local=False, skip_instance_cache=True)
        cls.root = "/pyfs-" + uuid.uuid4().hex[:10]

    @classmethod
    def tearDownClass(cls):
        try:
            cls.fs.client.delete_tree(cls.root)
        except tensorfs.TfsError:
            pass
        cls.fs.close()
        cls.grpc_fs.close()

    def path(self, name):
        return self.root + "/" + self.id().rsplit(".", 1)[1] + "/" + name

    def url(self, name):
        return "tensorfs://%s%s" % (ADDRESS, self.path(name))

    # -- registration and URLs -------------------------------------------------------------------------

    def test_the_entry_point_registers_the_protocol_for_fsspec(self):
        """The pyproject.toml entry point, installed as a distribution's metadata, is what fsspec finds."""
        project = _pyproject()
        specs = project["entry-points"]["fsspec.specs"]
        self.assertEqual(specs, {"tensorfs": "tensorfs.fsspec:TensorfsFileSystem"})
        with tempfile.TemporaryDirectory() as site:
            info = os.path.join(site, "tensorfs-%s.dist-info" % project["version"])
            os.mkdir(info)
            with open(os.path.join(info, "METADATA"), "w") as f:
                f.write("Metadata-Version: 2.1\nName: tensorfs\nVersion: %s\n" % project["version"])
            with open(os.path.join(info, "entry_points.txt"), "w") as f:
                f.write("[fsspec.specs]\n" + "".join("%s = %s\n" % kv for kv in specs.items()))
            script = textwrap.dedent("""
                import fsspec, sys
                fs = fsspec.filesystem("tensorfs", address=sys.argv[1])
                print(type(fs).__module__ + "." + type(fs).__name__)
                print(fsspec.open(sys.argv[2], "rb").open().read().decode())
            """)
            self.fs.pipe_file(self.path("hello"), b"found through the entry point")
            env = dict(os.environ, PYTHONPATH=os.pathsep.join([site, HERE]))
            out = subprocess.run([sys.executable, "-c", script, ADDRESS, self.url("hello")], env=env,
                                 capture_output=True, text=True, timeout=120)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stdout.split("\n")[:2],
                             ["tensorfs.fsspec.TensorfsFileSystem", "found through the entry point"])

    def test_urls_name_the_node_or_leave_it_to_the_options(self):
        self.assertEqual(TensorfsFileSystem._strip_protocol("tensorfs://10.0.0.1:9090/team/a/b/"), "/team/a/b")
        self.assertEqual(TensorfsFileSystem._get_kwargs_from_urls("tensorfs://10.0.0.1:9090/team/a"),
                         {"address": "10.0.0.1:9090"})
        self.assertEqual(TensorfsFileSystem._strip_protocol("tensorfs:///team/a"), "/team/a")
        self.assertEqual(TensorfsFileSystem._strip_protocol("tensorfs://team/a"), "/team/a")
        self.assertEqual(TensorfsFileSystem._get_kwargs_from_urls("tensorfs://team/a"), {})
        self.assertEqual(TensorfsFileSystem._strip_protocol("team/a"), "/team/a")
        data = b"through a URL"
        with fsspec.open(self.url("u"), "wb") as f:
            f.write(data)
        with fsspec.open(self.url("u"), "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(fsspec.filesystem("tensorfs", address=ADDRESS).cat_file(self.path("u")), data)

    # -- bytes -----------------------------------------------------------------------------------------

    def test_pipe_and_cat_with_ranges(self):
        data = random.Random(1).randbytes(100_003)
        self.fs.pipe_file(self.path("f"), data)
        for fs in (self.fs, self.grpc_fs):
            self.assertEqual(fs.cat_file(self.path("f")), data)
            self.assertEqual(fs.cat_file(self.path("f"), 10, 20), data[10:20])
            self.assertEqual(fs.cat_file(self.path("f"), -7), data[-7:])
            self.assertEqual(fs.cat_file(self.path("f"), 5, -5), data[5:-5])
            self.assertEqual(fs.cat_file(self.path("f"), 99_000), data[99_000:])
            self.assertEqual(fs.cat_file(self.path("f"), 200_000), b"")
            self.assertEqual(fs.cat_file(self.path("f"), 50, 50), b"")
            self.assertEqual(fs.cat_file(self.path("f"), 0, 10 ** 9), data)
        self.fs.pipe_file(self.path("empty"), b"")
        self.assertEqual(self.fs.cat_file(self.path("empty")), b"")
        self.assertEqual(self.fs.info(self.path("empty"))["size"], 0)
        self.fs.pipe_file(self.path("f"), b"replaced")
        self.assertEqual(self.fs.cat(self.path("f")), b"replaced")

    def test_files_written_in_pieces_are_streamed_and_sealed_at_close(self):
        data = random.Random(2).randbytes(19 * (1 << 20) + 333)
        name = self.path("streamed")
        self.fs.pipe_file(name, b"old")
        with self.fs.open(name, "wb", block_size=2 << 20, policy="persistent") as f:
            for at in range(0, len(data), 700_001):
                f.write(data[at:at + 700_001])
                self.assertLess(f.buffer.tell(), 2 << 20, "no more than a block is held before it is sent")
            self.assertGreater(f.offset, 16 << 20, "the blocks went to the node as they filled")
            self.assertEqual(self.fs.cat_file(name), b"old", "the new version is visible only at close")
        self.assertEqual(self.fs.info(name)["size"], len(data))
        self.assertEqual(self.fs.client.read_bytes(name), data)
        with self.fs.open(name, "ab") as f:
            f.write(b"+tail")
        self.assertEqual(self.fs.cat_file(name), data + b"+tail")

    def test_reads_fetch_only_the_ranges_asked(self):
        data = random.Random(3).randbytes(40 << 20)
        name = self.path("ranged")
        self.fs.pipe_file(name, data)
        for fs in (self.fs, self.grpc_fs):
            counting = _Counting(fs.client)
            try:
                with fs.open(name, "rb", block_size=1 << 20) as f:
                    f.seek(33 << 20)
                    self.assertEqual(f.read(100), data[33 << 20:(33 << 20) + 100])
                    f.seek(7)
                    self.assertEqual(f.read(3 << 20), data[7:7 + (3 << 20)])
                    f.seek(-10, 2)
                    self.assertEqual(f.read(), data[-10:])
                    self.assertEqual(f.read(), b"")
                self.assertLess(counting.bytes, 8 << 20, "only the blocks around the reads were fetched")
                self.assertGreaterEqual(counting.bytes, (3 << 20) + 110)
            finally:
                counting.close()
        with self.fs.open(name, "rb") as f:
            self.assertEqual(f.read(), data)

    def test_transactions_commit_or_discard_their_files(self):
        name = self.path("tx")
        self.fs.pipe_file(name, b"before")
        with self.fs.transaction:
            with self.fs.open(name, "wb") as f:
                f.write(b"committed")
            self.assertEqual(self.fs.cat_file(name), b"before", "sealed at the commit, not at close")
        self.assertEqual(self.fs.cat_file(name), b"committed")
        with self.assertRaises(RuntimeError):
            with self.fs.transaction:
                with self.fs.open(name, "wb") as f:
                    f.write(b"discarded")
                raise RuntimeError("the transaction fails")
        self.assertEqual(self.fs.cat_file(name), b"committed")

    def test_cp_file_copies_bytes_and_policy(self):
        data = random.Random(4).randbytes(9 << 20)
        self.fs.pipe_file(self.path("src"), data, policy="kvcache")
        self.fs.cp_file(self.path("src"), self.path("dst"))
        self.assertEqual(self.fs.cat_file(self.path("dst")), data)
        self.assertEqual(self.fs.info(self.path("dst"))["policy"], self.fs.info(self.path("src"))["policy"])
        self.fs.copy(self.path("dst"), self.path("copies/again"))
        self.assertEqual(self.fs.cat_file(self.path("copies/again")), data)
        with self.assertRaises(FileNotFoundError):
            self.fs.cp_file(self.path("missing"), self.path("nowhere"))
        self.assertFalse(self.fs.exists(self.path("nowhere")))

    # -- names -----------------------------------------------------------------------------------------

    def test_ls_info_exists_on_files_directories_and_missing_names(self):
        self.fs.pipe_file(self.path("d/a.bin"), b"a" * 10)
        self.fs.pipe_file(self.path("d/sub/b.bin"), b"b" * 20)
        listing = sorted(self.fs.ls(self.path("d")), key=lambda e: e["name"])
        self.assertEqual([(e["name"], e["type"], e["size"]) for e in listing],
                         [(self.path("d/a.bin"), "file", 10), (self.path("d/sub"), "directory", 0)])
        self.assertEqual(self.fs.ls(self.path("d"), detail=False), [self.path("d/a.bin"), self.path("d/sub")])
        self.assertEqual(self.fs.ls(self.path("d/a.bin"), detail=False), [self.path("d/a.bin")])
        info = self.fs.info(self.path("d/sub/b.bin"))
        self.assertEqual((info["name"], info["type"], info["size"]), (self.path("d/sub/b.bin"), "file", 20))
        self.assertGreaterEqual(info["version"], 1)
        self.assertEqual(self.fs.info(self.path("d/sub"))["type"], "directory")
        self.assertTrue(self.fs.isdir(self.path("d")))
        self.assertTrue(self.fs.isfile(self.path("d/a.bin")))
        self.assertTrue(self.fs.exists(self.url("d/a.bin")))
        self.assertFalse(self.fs.exists(self.path("d/none")))
        self.assertEqual(sorted(self.fs.find(self.path("d"))), [self.path("d/a.bin"), self.path("d/sub/b.bin")])
        for missing in (self.path("d/none"), self.path("nowhere/x")):
            with self.assertRaises(FileNotFoundError):
                self.fs.info(missing)
            with self.assertRaises(FileNotFoundError):
                self.fs.ls(missing)
            with self.assertRaises(FileNotFoundError):
                self.fs.cat_file(missing)
            with self.assertRaises(FileNotFoundError):
                self.fs.open(missing, "rb")
        self.assertGreater(self.fs.modified(self.path("d/a.bin")).year, 2000)

    def test_rm_files_and_trees(self):
        self.fs.pipe_file(self.path("t/x"), b"x")
        self.fs.pipe_file(self.path("t/y/z"), b"z")
        with self.assertRaises(IsADirectoryError):
            self.fs.rm(self.path("t"))
        self.fs.rm(self.path("t/x"))
        self.assertFalse(self.fs.exists(self.path("t/x")))
        with self.assertRaises(FileNotFoundError):
            self.fs.rm(self.path("t/x"))
        self.fs.rm(self.path("t"), recursive=True)
        self.assertFalse(self.fs.exists(self.path("t/y/z")))
        self.assertFalse(self.fs.exists(self.path("t")))

    def test_directories_made_moved_and_removed(self):
        d = self.path("made/deep")
        self.fs.makedirs(d)
        self.assertEqual(self.fs.info(d)["type"], "directory")
        self.assertEqual(self.fs.ls(d), [])
        self.fs.makedirs(d, exist_ok=True)
        with self.assertRaises(FileExistsError):
            self.fs.makedirs(d)
        with self.assertRaises(FileExistsError):
            self.fs.mkdir(d)
        self.fs.pipe_file(d + "/f", b"in a made directory")
        self.fs.rm(d + "/f")
        self.assertEqual(self.fs.info(d)["type"], "directory", "an explicit directory stays when emptied")
        self.fs.pipe_file(self.path("made/f"), b"f")
        with self.assertRaises(OSError):
            self.fs.rmdir(self.path("made"))
        self.fs.rmdir(d)
        self.assertFalse(self.fs.exists(d))
        with self.assertRaises(FileExistsError):
            self.fs.mkdir(self.path("made/f"))

        data = random.Random(5).randbytes(5 << 20)
        self.fs.pipe_file(self.path("mv/a"), data)
        version = self.fs.info(self.path("mv/a"))["version"]
        self.fs.mv(self.path("mv/a"), self.path("mv/b"))
        self.assertFalse(self.fs.exists(self.path("mv/a")))
        self.assertEqual(self.fs.cat_file(self.path("mv/b")), data)
        self.fs.pipe_file(self.path("mv/c"), b"replaced by the rename")
        self.fs.rename(self.path("mv/b"), self.path("mv/c"))
        self.assertEqual(self.fs.cat_file(self.path("mv/c")), data)
        self.assertGreaterEqual(self.fs.info(self.path("mv/c"))["version"], 1)
        self.assertGreaterEqual(version, 1)
        self.fs.pipe_file(self.path("mv/dir/one"), b"1")
        self.fs.pipe_file(self.path("mv/dir/sub/two"), b"2")
        self.fs.mv(self.path("mv/dir"), self.path("mv/moved"))
        self.assertEqual(self.fs.cat_file(self.path("mv/moved/one")), b"1")
        self.assertEqual(self.fs.cat_file(self.path("mv/moved/sub/two")), b"2")
        self.assertFalse(self.fs.exists(self.path("mv/dir/one")))
        with self.assertRaises(FileNotFoundError):
            self.fs.mv(self.path("mv/none"), self.path("mv/other"))

        self.fs.makedirs(self.path("tree/empty/leaf"))
        self.fs.pipe_file(self.path("tree/full/x"), b"x")
        with self.assertRaises(IsADirectoryError):
            self.fs.pipe_file(self.path("tree/full"), b"a file where a directory is")
        self.fs.rm(self.path("tree"), recursive=True)
        self.assertFalse(self.fs.exists(self.path("tree")), "explicit directories under it went too")

    def test_a_token_the_node_refuses_is_a_permission_error(self):
        fs = TensorfsFileSystem(address=ADDRESS, token="not-a-token", local=False, skip_instance_cache=True)
        try:
            with self.assertRaises(PermissionError):
                fs.info(self.root)
            with self.assertRaises(PermissionError):
                fs.pipe_file(self.path("refused"), b"x")
        finally:
            fs.close()
        self.assertFalse(self.fs.exists(self.path("refused")))

    # -- PyTorch DCP ------------------------------------------------------------------------------------

    def test_dcp_fsspec_writer_and_reader_save_and_load_a_state_dict(self):
        dcp, reason = _dcp_fsspec()
        if dcp is None:
            self.skipTest(reason)
        import torch

        writer_class, reader_class, save, load = dcp
        g = torch.Generator().manual_seed(6)
        state = {"layer.weight": torch.randn(257, 129, generator=g),
                 "layer.bias": torch.randn(129, generator=g).to(torch.bfloat16),
                 "step": torch.tensor(1234, dtype=torch.int64),
                 "big": torch.randint(0, 255, (9 << 20,), dtype=torch.uint8, generator=g)}
        url = self.url("dcp")
        save(state, storage_writer=writer_class(url))
        self.assertTrue(self.fs.exists(self.path("dcp/.metadata")))
        restored = {k: torch.zeros_like(v) for k, v in state.items()}
        load(restored, storage_reader=reader_class(url))
        for key, tensor in state.items():
            self.assertTrue(torch.equal(restored[key], tensor), key)


if __name__ == "__main__":
    unittest.main()
