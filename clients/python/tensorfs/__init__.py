"""tensorfs: a thin client of a tensorfs node's gRPC endpoint.

    import tensorfs
    client = tensorfs.Client("127.0.0.1:9090", token=...)   # or $TFS_TOKEN
    buf = tensorfs.HostBuffer(1 << 20)
    req = client.read("/tenant/kv/block-7", 0, [buf.sge()], desc="block 7")
    for done in client.wait():
        print(done.desc, done.status_name, done.value)
"""

from ._wire import FLAG as _FLAG
from .client import Client, KvResult, Request, TfsError
from .memory import HostBuffer, Sge

FLAG_KVCACHE = _FLAG["FLAG_KVCACHE"]
# preadv into GPU memory straight from the node's replica files with cuFile, past its cache.
FLAG_CUFILE = _FLAG["FLAG_CUFILE"]

__all__ = ["Client", "KvResult", "Request", "TfsError", "HostBuffer", "Sge", "FLAG_KVCACHE", "FLAG_CUFILE"]
