"""Attributes, explicit directories and rename through the Python client, against a running node:
TFS_GRPC=host:port python3 -m unittest discover -s tests."""

import os
import random
import unittest
import uuid

import tensorfs

ADDRESS = os.environ.get("TFS_GRPC")


@unittest.skipUnless(ADDRESS, "set TFS_GRPC=host:port of a tensorfs node's gRPC endpoint")
class MetaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = tensorfs.Client(ADDRESS)
        cls.root = "/pymeta-" + uuid.uuid4().hex[:10]

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def path(self, name):
        return self.root + "/" + name

    def code_of(self, call, *args, **kwargs):
        with self.assertRaises(tensorfs.TfsError) as raised:
            call(*args, **kwargs)
        return raised.exception

    def test_write_with_attributes_and_change_them(self):
        info = self.client.write_bytes(self.path("a.json"), b"{}", mode=0o600, uid=1000, gid=100,
                                       content_type="application/json", md5_hex="99914b932bd37a50b983c5e7c90ae93b",
                                       user={"Owner": "me"})
        self.assertEqual(info.mode, 0o600)
        self.assertEqual((info.uid, info.gid), (1000, 100))
        self.assertEqual(info.content_type, "application/json")
        self.assertEqual(info.md5_hex, "99914b932bd37a50b983c5e7c90ae93b")
        self.assertEqual(dict(info.user), {"owner": "me"})
        self.assertEqual(info.mtime_millis, info.sealed_at_millis)

        changed = self.client.set_attributes(self.path("a.json"), mode=0o644, mtime_millis=5000, user={})
        self.assertEqual(changed.version, info.version, "same bytes, same version")
        self.assertEqual(changed.mode, 0o644)
        self.assertEqual(changed.mtime_millis, 5000)
        self.assertEqual(dict(changed.user), {})
        self.assertEqual(changed.content_type, "application/json", "fields not given stay")
        self.assertEqual(self.client.stat(self.path("a.json")).mode, 0o644)

    def test_mkdir_stat_rmdir(self):
        made = self.client.mkdir(self.path("d"), mode=0o700)
        self.assertTrue(made.is_dir)
        self.assertEqual(made.mode, 0o700)
        exists = self.code_of(self.client.mkdir, self.path("d"))
        self.assertEqual(exists.code, "CONFLICT")
        self.assertIn("exists", str(exists))
        self.client.write_bytes(self.path("d/f"), b"x")
        self.assertIn("not empty", str(self.code_of(self.client.rmdir, self.path("d"))))
        self.client.delete(self.path("d/f"))
        self.assertTrue(self.client.stat(self.path("d")).is_dir, "an emptied explicit directory stays")
        self.assertEqual(self.client.list(self.path("d")), [])
        self.client.rmdir(self.path("d"))
        self.assertEqual(self.code_of(self.client.stat, self.path("d")).code, "NOT_FOUND")

    def test_rename_file_and_directory(self):
        data = random.Random(3).randbytes(1 << 20)
        self.client.write_bytes(self.path("src.bin"), data)
        self.client.write_bytes(self.path("dst.bin"), b"old")
        self.assertEqual(self.code_of(self.client.rename, self.path("src.bin"), self.path("dst.bin"),
                                      if_none_match="*").code, "PRECONDITION_FAILED")
        info = self.client.rename(self.path("src.bin"), self.path("dst.bin"))
        self.assertEqual(info.path, self.path("dst.bin"))
        self.assertEqual(self.client.read_bytes(self.path("dst.bin")), data)
        self.assertEqual(self.code_of(self.client.stat, self.path("src.bin")).code, "NOT_FOUND")

        self.client.write_bytes(self.path("tree/x"), b"1")
        self.client.write_bytes(self.path("tree/sub/y"), b"22")
        moved = self.client.rename(self.path("tree"), self.path("tree2"))
        self.assertTrue(moved.is_dir)
        self.assertEqual(sorted(e.name for e in self.client.list(self.path("tree2"))), ["sub", "x"])
        self.assertEqual(self.client.read_bytes(self.path("tree2/sub/y")), b"22")
        listed = [e for e in self.client.list(self.root) if e.name == "dst.bin"][0]
        self.assertEqual(listed.version, info.version)
        self.assertEqual(listed.mtime_millis, info.mtime_millis)


if __name__ == "__main__":
    unittest.main()
