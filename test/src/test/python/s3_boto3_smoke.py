"""boto3 against a tensorfs S3 endpoint (S3ClientsIT runs it with Debian's python3-boto3):

    S3_ENDPOINT=http://127.0.0.1:9000 AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \\
        python3 -m unittest -v s3_boto3_smoke

Buckets, objects with user metadata, whole and ranged GETs, HEAD, conditional GETs, ListObjectsV2 with
prefix, delimiter and continuation tokens, multipart uploads (by hand and by boto3's transfer manager),
CopyObject, DeleteObject(s). Every byte read is compared with what was written; ETags with the MD5s.
S3_BIG_MIB sets the multipart file's size (12 by default)."""

import hashlib
import io
import os
import random
import unittest
import uuid

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ.get("S3_ENDPOINT")
BIG = int(os.environ.get("S3_BIG_MIB", "12")) << 20


def client():
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}))


def md5(data):
    return hashlib.md5(data).hexdigest()


def code(error):
    return error.response["Error"]["Code"]


@unittest.skipUnless(ENDPOINT, "set S3_ENDPOINT (and AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
class Boto3Smoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = client()
        cls.bucket = "boto3-" + uuid.uuid4().hex[:8]
        cls.s3.create_bucket(Bucket=cls.bucket)

    def test_1_bucket_is_listed_and_headed(self):
        self.s3.head_bucket(Bucket=self.bucket)
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertIn(self.bucket, names)
        with self.assertRaises(ClientError) as e:
            self.s3.head_bucket(Bucket="no-such-" + uuid.uuid4().hex[:8])
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)

    def test_put_get_head_with_metadata_and_ranges(self):
        data = random.Random(1).randbytes(300_001)
        put = self.s3.put_object(Bucket=self.bucket, Key="meta/one.bin", Body=data, ContentType="application/x-test",
                                 Metadata={"origin": "boto3", "Step": "7"})
        self.assertEqual(put["ETag"].strip('"'), md5(data))
        head = self.s3.head_object(Bucket=self.bucket, Key="meta/one.bin")
        self.assertEqual(head["ContentLength"], len(data))
        self.assertEqual(head["ETag"].strip('"'), md5(data))
        self.assertEqual(head["ContentType"], "application/x-test")
        self.assertEqual(head["Metadata"], {"origin": "boto3", "step": "7"})
        got = self.s3.get_object(Bucket=self.bucket, Key="meta/one.bin")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["Metadata"], {"origin": "boto3", "step": "7"})
        for header, want, content_range in (("bytes=10-19", data[10:20], "bytes 10-19/300001"),
                                            ("bytes=-5", data[-5:], "bytes 299996-300000/300001"),
                                            ("bytes=299990-", data[299990:], "bytes 299990-300000/300001"),
                                            ("bytes=299990-999999", data[299990:], "bytes 299990-300000/300001")):
            r = self.s3.get_object(Bucket=self.bucket, Key="meta/one.bin", Range=header)
            self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 206, header)
            self.assertEqual(r["ContentRange"], content_range, header)
            self.assertEqual(r["Body"].read(), want, header)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=self.bucket, Key="meta/one.bin", Range="bytes=400000-400010")
        self.assertEqual(code(e.exception), "InvalidRange")

    def test_missing_keys_and_conditions(self):
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=self.bucket, Key="nothing/here")
        self.assertEqual(code(e.exception), "NoSuchKey")
        with self.assertRaises(ClientError) as e:
            self.s3.head_object(Bucket=self.bucket, Key="nothing/here")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        etag = self.s3.put_object(Bucket=self.bucket, Key="cond", Body=b"conditional")["ETag"]
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="cond", IfMatch=etag)["Body"].read(), b"conditional")
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=self.bucket, Key="cond", IfMatch='"0123456789abcdef0123456789abcdef"')
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 412)
        with self.assertRaises(ClientError) as e:
            self.s3.get_object(Bucket=self.bucket, Key="cond", IfNoneMatch=etag)
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 304)

    def test_list_v2_prefix_delimiter_and_pages(self):
        keys = sorted(["list/a/%03d" % i for i in range(23)] + ["list/b/x", "list/b/y/z", "list/c"])
        for k in keys:
            self.s3.put_object(Bucket=self.bucket, Key=k, Body=k.encode())
        seen, token, pages = [], None, 0
        while True:
            kwargs = dict(Bucket=self.bucket, Prefix="list/", MaxKeys=5)
            if token:
                kwargs["ContinuationToken"] = token
            page = self.s3.list_objects_v2(**kwargs)
            pages += 1
            seen += [o["Key"] for o in page.get("Contents", [])]
            for o in page.get("Contents", []):
                self.assertEqual(o["Size"], len(o["Key"]))
                self.assertEqual(o["ETag"].strip('"'), md5(o["Key"].encode()))
            if not page["IsTruncated"]:
                break
            token = page["NextContinuationToken"]
        self.assertEqual(seen, keys)
        self.assertGreaterEqual(pages, 6)
        top = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="list/", Delimiter="/")
        self.assertEqual([p["Prefix"] for p in top.get("CommonPrefixes", [])], ["list/a/", "list/b/"])
        self.assertEqual([o["Key"] for o in top.get("Contents", [])], ["list/c"])
        listed = [o["Key"] for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="list/b/")
                  for o in page.get("Contents", [])]
        self.assertEqual(listed, ["list/b/x", "list/b/y/z"])

    def test_multipart_by_hand(self):
        parts_data = [random.Random(10 + i).randbytes(n) for i, n in enumerate((5 << 20, 5 << 20, 777_777))]
        up = self.s3.create_multipart_upload(Bucket=self.bucket, Key="mp/by-hand.bin", Metadata={"kind": "mp"})
        parts = []
        for n, chunk in enumerate(parts_data, 1):
            r = self.s3.upload_part(Bucket=self.bucket, Key="mp/by-hand.bin", UploadId=up["UploadId"], PartNumber=n, Body=chunk)
            self.assertEqual(r["ETag"].strip('"'), md5(chunk))
            parts.append({"PartNumber": n, "ETag": r["ETag"]})
        listed = self.s3.list_parts(Bucket=self.bucket, Key="mp/by-hand.bin", UploadId=up["UploadId"])
        self.assertEqual([p["PartNumber"] for p in listed["Parts"]], [1, 2, 3])
        done = self.s3.complete_multipart_upload(Bucket=self.bucket, Key="mp/by-hand.bin", UploadId=up["UploadId"],
                                                 MultipartUpload={"Parts": parts})
        want_etag = hashlib.md5(b"".join(hashlib.md5(c).digest() for c in parts_data)).hexdigest() + "-3"
        self.assertEqual(done["ETag"].strip('"'), want_etag)
        whole = b"".join(parts_data)
        got = self.s3.get_object(Bucket=self.bucket, Key="mp/by-hand.bin")
        self.assertEqual(got["Body"].read(), whole)
        self.assertEqual(got["Metadata"], {"kind": "mp"})
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="mp/by-hand.bin")["ETag"].strip('"'), want_etag)
        aborted = self.s3.create_multipart_upload(Bucket=self.bucket, Key="mp/aborted.bin")
        with self.assertRaises(ClientError) as other_key:
            self.s3.upload_part(Bucket=self.bucket, Key="mp/other.bin", UploadId=aborted["UploadId"], PartNumber=1,
                                Body=b"y")
        self.assertEqual(other_key.exception.response["Error"]["Code"], "NoSuchUpload",
                         "an upload id belongs to its key")
        with self.assertRaises(ClientError) as reserved:
            self.s3.put_object(Bucket=self.bucket, Key=".s3-uploads/x", Body=b"z")
        self.assertEqual(reserved.exception.response["Error"]["Code"], "KeyNotValid")
        self.s3.upload_part(Bucket=self.bucket, Key="mp/aborted.bin", UploadId=aborted["UploadId"], PartNumber=1, Body=b"x")
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key="mp/aborted.bin", UploadId=aborted["UploadId"])
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket=self.bucket, Key="mp/aborted.bin")
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket, Prefix="mp/").get("Contents", [])]
        self.assertEqual(keys, ["mp/by-hand.bin"], "no upload's parts are listed as objects")

    def test_transfer_manager_upload_and_download(self):
        data = random.Random(3).randbytes(BIG + 12345)
        config = TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20, max_concurrency=4)
        self.s3.upload_fileobj(io.BytesIO(data), self.bucket, "tm/big.bin", Config=config)
        out = io.BytesIO()
        self.s3.download_fileobj(self.bucket, "tm/big.bin", out, Config=config)
        self.assertEqual(out.getvalue(), data)
        self.assertTrue(self.s3.head_object(Bucket=self.bucket, Key="tm/big.bin")["ETag"].strip('"').endswith(
            "-%d" % -(-len(data) // (5 << 20))))

    def test_copy_object_and_metadata_directive(self):
        data = random.Random(4).randbytes(70_000)
        self.s3.put_object(Bucket=self.bucket, Key="cp/src", Body=data, Metadata={"a": "1"})
        r = self.s3.copy_object(Bucket=self.bucket, Key="cp/dst", CopySource={"Bucket": self.bucket, "Key": "cp/src"})
        self.assertEqual(r["CopyObjectResult"]["ETag"].strip('"'), md5(data))
        got = self.s3.get_object(Bucket=self.bucket, Key="cp/dst")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(got["Metadata"], {"a": "1"})
        self.s3.copy_object(Bucket=self.bucket, Key="cp/dst2", CopySource={"Bucket": self.bucket, "Key": "cp/src"},
                            MetadataDirective="REPLACE", Metadata={"b": "2"})
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="cp/dst2")["Metadata"], {"b": "2"})

    def test_z_delete_objects_and_the_bucket(self):
        for k in ("del/1", "del/2", "del/3"):
            self.s3.put_object(Bucket=self.bucket, Key=k, Body=b"d")
        self.s3.delete_object(Bucket=self.bucket, Key="del/1")
        r = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": "del/2"}, {"Key": "del/3"}]})
        self.assertEqual(sorted(d["Key"] for d in r.get("Deleted", [])), ["del/2", "del/3"])
        self.assertEqual(self.s3.list_objects_v2(Bucket=self.bucket, Prefix="del/").get("KeyCount"), 0)
        with self.assertRaises(ClientError) as e:
            self.s3.delete_bucket(Bucket=self.bucket)
        self.assertEqual(code(e.exception), "BucketNotEmpty")
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for o in page.get("Contents", []):
                self.s3.delete_object(Bucket=self.bucket, Key=o["Key"])
        self.s3.delete_bucket(Bucket=self.bucket)
        self.assertNotIn(self.bucket, [b["Name"] for b in self.s3.list_buckets()["Buckets"]])


if __name__ == "__main__":
    unittest.main()
