"""A replay, through boto3, of the requests NIXL's object-store plugin (OBJ backend, aws-sdk-cpp 1.11)
sends to an S3 endpoint, against tensorfs (S3ClientsIT runs it):

    S3_ENDPOINT=http://127.0.0.1:9000 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \\
        python3 -m unittest -v s3_nixl_replay

What the plugin does per transfer (its awsS3Client): a write is one PutObject of the whole buffer (an
offset other than 0 is refused before anything is sent), with the payload signed over plain HTTP, and a
CRC32 checksum header when the SDK's request checksums are "when supported" (its default since 2025); a
read is one GetObject with ``Range: bytes=OFFSET-(OFFSET+LEN-1)`` into a preallocated buffer of exactly
LEN bytes; "does the object exist" (queryMem) is a HeadObject, a 404 meaning no. Keys are the
descriptors' metaInfo strings. Bytes are compared exactly."""

import os
import random
import unittest
import uuid
import zlib
import base64

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("S3_ENDPOINT")


class NixlObjClient:
    """The plugin's three calls, as it makes them."""

    def __init__(self, bucket, checksum):
        self.s3 = boto3.client("s3", endpoint_url=ENDPOINT, region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                               config=Config(signature_version="s3v4", s3={"addressing_style": "path",
                                                                           "payload_signing_enabled": True},
                                             retries={"max_attempts": 1}))
        self.bucket = bucket
        self.checksum = checksum

    def put(self, key, buffer, offset=0):
        if offset != 0:
            return False  # the plugin refuses partial writes itself
        kwargs = dict(Bucket=self.bucket, Key=key, Body=bytes(buffer))
        if self.checksum:
            kwargs["ChecksumAlgorithm"] = "CRC32"
        self.s3.put_object(**kwargs)
        return True

    def get(self, key, buffer, offset):
        r = self.s3.get_object(Bucket=self.bucket, Key=key, Range="bytes=%d-%d" % (offset, offset + len(buffer) - 1))
        body = r["Body"].read()
        if len(body) > len(buffer):
            raise AssertionError("the answer overflows the preallocated buffer: %d > %d" % (len(body), len(buffer)))
        buffer[:len(body)] = body
        return len(body)

    def exists(self, key):
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
            return True
        except ClientError as e:
            if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                return False
            raise


@unittest.skipUnless(ENDPOINT, "set S3_ENDPOINT (and AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
class NixlReplay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bucket = "nixl-" + uuid.uuid4().hex[:8]
        boto3.client("s3", endpoint_url=ENDPOINT, region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                     config=Config(signature_version="s3v4", s3={"addressing_style": "path"})).create_bucket(Bucket=cls.bucket)

    def replay(self, checksum):
        nixl = NixlObjClient(self.bucket, checksum)
        rng = random.Random(7 if checksum else 8)
        objects = {}
        for i, size in enumerate((1, 4096, 1 << 20, (4 << 20) + 3, 9 << 20)):
            key = "nixl-obj-%s-%d" % ("crc" if checksum else "plain", i)
            self.assertFalse(nixl.exists(key), "HeadObject of a key never written answers 404")
            objects[key] = rng.randbytes(size)
            self.assertTrue(nixl.put(key, objects[key]))
            self.assertTrue(nixl.exists(key))
        self.assertFalse(nixl.put("nixl-partial", b"x", offset=4096))
        self.assertFalse(nixl.exists("nixl-partial"))
        for key, data in objects.items():
            whole = bytearray(len(data))
            self.assertEqual(nixl.get(key, whole, 0), len(data))
            self.assertEqual(bytes(whole), data, key)
            for _ in range(6):
                offset = rng.randrange(len(data))
                length = rng.randrange(1, len(data) - offset + 1)
                buf = bytearray(length)
                self.assertEqual(nixl.get(key, buf, offset), length)
                self.assertEqual(bytes(buf), data[offset:offset + length], "%s [%d, +%d)" % (key, offset, length))
        key = next(iter(objects))
        replaced = rng.randbytes(3000)
        self.assertTrue(nixl.put(key, replaced))
        buf = bytearray(3000)
        self.assertEqual(nixl.get(key, buf, 0), 3000)
        self.assertEqual(bytes(buf), replaced)
        return nixl

    def test_put_head_ranged_get_with_signed_payloads(self):
        self.replay(checksum=False)

    def test_put_head_ranged_get_with_crc32_checksums(self):
        nixl = self.replay(checksum=True)
        data = b"checked by the server"
        bad = base64.b64encode((zlib.crc32(data) ^ 1).to_bytes(4, "big")).decode()
        with self.assertRaises(ClientError) as e:
            nixl.s3.put_object(Bucket=self.bucket, Key="nixl-bad-crc", Body=data, ChecksumCRC32=bad)
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertFalse(nixl.exists("nixl-bad-crc"), "a PutObject whose checksum does not match stores nothing")


if __name__ == "__main__":
    unittest.main()
