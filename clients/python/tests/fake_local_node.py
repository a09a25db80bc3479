"""A node side of the local channel for tests, written from the byte layout (not from the client's code):
it maps the client's segment, checks the header, polls the submission ring in a thread and answers
reads, writes and KV ops from memory, with a small gRPC server (AttachLocal and the Kv* calls) in front.
Malformed records get BAD_REQUEST completions with error text, as the real node's do."""

import mmap
import os
import struct
import threading
import time
from concurrent import futures

import grpc

from tensorfs import _wire

MAGIC = 0x314C4E4843534654
HEADER = 24576
INLINE = 0xFFFFFFFF
S = _wire.STATUS

READ, WRITE, KV_PUT, KV_GET, KV_EXISTS, KV_REMOVE = 1, 2, 3, 4, 5, 6
REGISTER_HOST, REGISTER_GPU, UNREGISTER, NOP, DETACH = 7, 8, 9, 10, 11


class Refused(Exception):
    def __init__(self, status, text):
        super().__init__(text)
        self.status = status


def parse_record(slot):
    """The record at the start of ``slot`` (a bytes-like of one slot) as a dict, arguments decoded."""
    op, flags, count, user, offset, args_len, policy_len, results_off = struct.unpack_from("<HHIQQIII", slot, 0)
    if any(slot[36:64]):
        raise Refused(S["BAD_REQUEST"], "reserved bytes of the record are not 0")
    rec = dict(op=op, flags=flags, count=count, user=user, offset=offset, args_len=args_len,
               policy_len=policy_len, results_off=results_off)
    limit = len(slot) - 1024
    if 64 + args_len > limit:
        raise Refused(S["BAD_REQUEST"], "args_len %d runs past the slot" % args_len)
    at = 64
    if op in (READ, WRITE):
        (n,) = struct.unpack_from("<H", slot, at)
        at += 2
        rec["path"] = bytes(slot[at:at + n]).decode()
        at += n
        rec["policy"] = bytes(slot[at:at + policy_len]).decode()
        at += policy_len
        at = (at + 7) & ~7
        rec["sges"], at = _sges(slot, at, count, limit)
    elif op in (KV_PUT, KV_GET, KV_EXISTS, KV_REMOVE):
        if count > 4096:
            raise Refused(S["BAD_REQUEST"], "%d keys: at most 4096" % count)
        (n,) = struct.unpack_from("<H", slot, at)
        rec["tenant"] = bytes(slot[at + 2:at + 2 + n]).decode()
        at += 2 + n
        keys = []
        for _ in range(count):
            (n,) = struct.unpack_from("<H", slot, at)
            if at + 2 + n > limit:
                raise Refused(S["BAD_REQUEST"], "a key runs past the slot")
            keys.append(bytes(slot[at + 2:at + 2 + n]).decode())
            at += 2 + n
        rec["keys"] = keys
        at = (at + 7) & ~7
        if op in (KV_PUT, KV_GET):
            rec["sges"], at = _sges(slot, at, count, limit)
        if results_off < at or results_off + 16 * count > limit or results_off % 8:
            raise Refused(S["BAD_REQUEST"], "results at %d overlap the arguments or leave the slot" % results_off)
    elif op == REGISTER_HOST:
        (n,) = struct.unpack_from("<H", slot, at)
        rec["name"] = bytes(slot[at + 2:at + 2 + n]).decode()
        (rec["size"],) = struct.unpack_from("<Q", slot, at + 2 + n)
        at += 2 + n + 8
    elif op == REGISTER_GPU:
        rec["handle"], rec["device"], zero, rec["size"] = struct.unpack_from("<64siIQ", slot, at)
        at += 80
    elif op in (UNREGISTER, NOP, DETACH):
        pass
    else:
        raise Refused(S["BAD_REQUEST"], "unknown op %d" % op)
    if op not in (READ, WRITE, UNREGISTER) and offset:
        raise Refused(S["BAD_REQUEST"], "offset is 0 for op %d" % op)
    if at - 64 != args_len and op not in (UNREGISTER, NOP, DETACH):
        raise Refused(S["BAD_REQUEST"], "args_len %d, the arguments take %d" % (args_len, at - 64))
    return rec


def _sges(slot, at, count, limit):
    if at + 24 * count > limit:
        raise Refused(S["BAD_REQUEST"], "%d SGEs run past the slot" % count)
    out = []
    for _ in range(count):
        bid, zero, off, length = struct.unpack_from("<IIQQ", slot, at)
        if zero:
            raise Refused(S["BAD_REQUEST"], "an SGE's reserved word is not 0")
        out.append((bid, off, length))
        at += 24
    return out, at


class FakeChannel:
    def __init__(self, node, shm_name, nonce):
        self.node = node
        self.path = "/dev/shm/" + shm_name
        fd = os.open(self.path, os.O_RDWR)
        try:
            size = os.fstat(fd).st_size
            self.map = mmap.mmap(fd, size)
        finally:
            os.close(fd)
        magic, version, slots, slot_bytes, reserved, got_nonce = struct.unpack_from("<QIIII16s", self.map, 0)
        if magic != MAGIC or version != 1 or got_nonce != nonce:
            self.map.close()
            raise Refused(S["NOT_FOUND"], "not a channel of this client")
        if slots & (slots - 1) or slot_bytes % 4096 or size != HEADER + slots * slot_bytes:
            self.map.close()
            raise Refused(S["BAD_REQUEST"], "bad sizes")
        self.slots, self.slot_bytes = slots, slot_bytes
        self.u32 = memoryview(self.map)[:HEADER].cast("I")
        self.buffers = {}  # id -> (mmap or None, size, what)
        self.stop = False
        self.cq_tail = 0
        self.hold_completions = False
        self.u32[328 // 4] = 1
        self.thread = threading.Thread(target=self.loop, daemon=True, name="fake-local-node")
        self.thread.start()

    def loop(self):
        head = 0
        last_beat = 0
        while not self.stop:
            now = time.time()
            if now - last_beat > 0.1:
                struct.pack_into("<Q", self.map, 320, int(now * 1000))
                last_beat = now
            if self.u32[384 // 4] == 2:
                self.detach()
                return
            tail = self.u32[64 // 4]
            if head == tail or self.hold_completions:
                time.sleep(0.0002)
                continue
            while head != tail and not self.stop:
                slot = self.u32[1024 + (head % self.slots)]
                head = (head + 1) & 0xFFFFFFFF
                self.u32[128 // 4] = head
                self.serve(slot)

    def serve(self, index):
        if index >= self.slots:
            return  # nothing to complete into
        base = HEADER + index * self.slot_bytes
        slot = memoryview(self.map)[base:base + self.slot_bytes]
        try:
            rec = parse_record(slot)
            self.node.records.append(rec)
            value = self.run(rec, slot)
            status = 0
        except Refused as e:
            status, value = e.status, 0
            text = str(e).encode()[:1022]
            at = self.slot_bytes - 1024
            struct.pack_into("<H", slot, at, len(text))
            slot[at + 2:at + 2 + len(text)] = text
        slot.release()
        if rec_op(self, index) == DETACH and status == 0:
            self.complete(index, 0, 0)
            self.detach()
            return
        self.complete(index, status, value)

    def complete(self, index, status, value):
        struct.pack_into("<IiQ", self.map, 8192 + 16 * (self.cq_tail % self.slots), index, status, value)
        self.cq_tail = (self.cq_tail + 1) & 0xFFFFFFFF
        self.u32[192 // 4] = self.cq_tail

    def detach(self):
        self.stop = True
        self.u32[328 // 4] = 2
        self.node.detached.append(self.path)

    # -- memory ------------------------------------------------------------------------------------------

    def region(self, slot, sge):
        bid, off, length = sge
        if bid == INLINE:
            if off + length > self.slot_bytes - 1024 or off < 64:
                raise Refused(S["BAD_REQUEST"], "an inline SGE leaves the slot's data area")
            return slot[off:off + length]
        if bid not in self.buffers:
            raise Refused(S["BAD_REQUEST"], "unknown buffer id %d" % bid)
        mem, size, _ = self.buffers[bid]
        if off + length > size:
            raise Refused(S["BAD_REQUEST"], "SGE %d+%d outside buffer %d of %d bytes" % (off, length, bid, size))
        if mem is None:
            raise Refused(S["UNAVAILABLE"], "no GPU on this fake node")
        return memoryview(mem)[off:off + length]

    def run(self, rec, slot):
        op = rec["op"]
        node = self.node
        if op == READ:
            data = node.files.get(rec["path"])
            if data is None:
                raise Refused(S["NOT_FOUND"], "no file %s" % rec["path"])
            at = rec["offset"]
            moved = 0
            for sge in rec["sges"]:
                piece = data[at:at + sge[2]]
                region = self.region(slot, sge)
                region[:len(piece)] = piece
                moved += len(piece)
                at += len(piece)
            return moved
        if op == WRITE:
            if rec["offset"]:
                raise Refused(S["BAD_REQUEST"], "a write starts at offset 0")
            data = b"".join(bytes(self.region(slot, sge)) for sge in rec["sges"])
            node.files[rec["path"]] = data
            node.policies[rec["path"]] = rec["policy"] or ("kvcache" if rec["flags"] & 1 else "persistent")
            return len(data)
        if op in (KV_PUT, KV_GET, KV_EXISTS, KV_REMOVE):
            tenant = rec["tenant"]
            if tenant == "forbidden":
                raise Refused(S["FORBIDDEN"], "role reader of tenant forbidden may not use its KV blocks")
            results = []
            value = 0
            prefix_open = True
            for i, key in enumerate(rec["keys"]):
                if not key or key.startswith("/") or "//" in key:
                    results.append((S["BAD_PATH"], 0))
                    prefix_open = False
                    continue
                k = (tenant, key)
                if op == KV_PUT:
                    node.kv[k] = bytes(self.region(slot, rec["sges"][i]))
                    results.append((0, len(node.kv[k])))
                    value += 1
                elif op == KV_GET:
                    block = node.kv.get(k)
                    if block is None:
                        results.append((S["NOT_FOUND"], 0))
                        continue
                    region = self.region(slot, rec["sges"][i])
                    if len(block) > len(region):
                        results.append((S["TOO_LARGE"], len(block)))
                        continue
                    region[:len(block)] = block
                    results.append((0, len(block)))
                    value += 1
                elif op == KV_EXISTS:
                    block = node.kv.get(k)
                    results.append((0, len(block)) if block is not None else (S["NOT_FOUND"], 0))
                    if block is None:
                        prefix_open = False
                    elif prefix_open:
                        value += 1
                else:
                    block = node.kv.pop(k, None)
                    results.append((0, len(block)) if block is not None else (S["NOT_FOUND"], 0))
                    value += block is not None
            for i, (st, length) in enumerate(results):
                struct.pack_into("<iIQ", slot, rec["results_off"] + 16 * i, st, 0, length)
            return value
        if op == REGISTER_HOST:
            path = "/dev/shm/" + rec["name"]
            try:
                fd = os.open(path, os.O_RDWR)
            except OSError:
                raise Refused(S["BAD_REQUEST"], "no segment %s" % rec["name"])
            try:
                if rec["size"] > os.fstat(fd).st_size or rec["size"] == 0:
                    raise Refused(S["BAD_REQUEST"], "segment %s is smaller than %d" % (rec["name"], rec["size"]))
                mem = mmap.mmap(fd, rec["size"])
            finally:
                os.close(fd)
            return self.register((mem, rec["size"], ("host", rec["name"])))
        if op == REGISTER_GPU:
            return self.register((None, rec["size"], ("gpu", rec["handle"], rec["device"])))
        if op == UNREGISTER:
            if self.buffers.pop(rec["offset"], None) is None:
                raise Refused(S["BAD_REQUEST"], "unknown buffer id %d" % rec["offset"])
            node.unregistered.append(rec["offset"])
            return 0
        return 0

    def register(self, entry):
        self.node.next_id += 1
        self.buffers[self.node.next_id] = entry
        self.node.registered.append((self.node.next_id, entry[2], entry[1]))
        return self.node.next_id


def rec_op(channel, index):
    base = HEADER + index * channel.slot_bytes
    return struct.unpack_from("<H", channel.map, base)[0]


class FakeNode:
    """The node: files and KV blocks in memory, every channel it attached, every record it served."""

    def __init__(self, attach_status=None):
        self.files, self.policies, self.kv = {}, {}, {}
        self.channels, self.records, self.registered, self.unregistered, self.detached = [], [], [], [], []
        self.attach_status = attach_status  # a grpc.StatusCode to refuse AttachLocal with
        self.attach_calls = 0
        self.kv_calls = []
        self.next_id = 0

    def attach(self, shm_name, pid, nonce):
        channel = FakeChannel(self, shm_name, nonce)
        self.channels.append(channel)
        return len(self.channels), "fake-node"

    def stop(self):
        for channel in self.channels:
            channel.stop = True
            channel.thread.join(5)

    # -- gRPC ------------------------------------------------------------------------------------------

    def _attach_rpc(self, request, context):
        self.attach_calls += 1
        if self.attach_status is not None:
            context.abort(self.attach_status, "refused by the test")
        try:
            channel_id, node_id = self.attach(request.shm_name, request.pid, request.nonce)
        except (Refused, OSError) as e:
            context.abort(grpc.StatusCode.NOT_FOUND, str(e))
        return _wire.AttachLocalReply(channel_id=channel_id, node_id=node_id)

    def _kv_put(self, request, context):
        self.kv_calls.append("KvPut")
        results = []
        for key, value in zip(request.keys, request.values):
            self.kv[(request.tenant, key)] = bytes(value)
            results.append(_wire.KvResult(status=0, length=len(value)))
        return _wire.KvReply(results=results)

    def _kv_get(self, request, context):
        self.kv_calls.append("KvGet")
        reply = _wire.KvGetReply()
        for key in request.keys:
            block = self.kv.get((request.tenant, key))
            if block is None:
                reply.results.append(_wire.KvResult(status=S["NOT_FOUND"]))
                reply.values.append(b"")
            else:
                reply.results.append(_wire.KvResult(status=0, length=len(block)))
                reply.values.append(block)
        return reply

    def _kv_exists(self, request, context):
        self.kv_calls.append("KvExists")
        present = [(request.tenant, k) in self.kv for k in request.keys]
        prefix = 0
        while prefix < len(present) and present[prefix]:
            prefix += 1
        return _wire.KvExistsReply(present=present, prefix=prefix)

    def _kv_remove(self, request, context):
        self.kv_calls.append("KvRemove")
        results = []
        for key in request.keys:
            block = self.kv.pop((request.tenant, key), None)
            results.append(_wire.KvResult(status=0 if block is not None else S["NOT_FOUND"]))
        return _wire.KvReply(results=results)

    def serve(self):
        """Starts the gRPC server; returns (server, address)."""
        w = _wire
        methods = {
            "AttachLocal": grpc.unary_unary_rpc_method_handler(self._attach_rpc, w.AttachLocalRequest.FromString,
                                                               w.AttachLocalReply.SerializeToString),
            "KvPut": grpc.unary_unary_rpc_method_handler(self._kv_put, w.KvPutRequest.FromString,
                                                         w.KvReply.SerializeToString),
            "KvGet": grpc.unary_unary_rpc_method_handler(self._kv_get, w.KvGetRequest.FromString,
                                                         w.KvGetReply.SerializeToString),
            "KvExists": grpc.unary_unary_rpc_method_handler(self._kv_exists, w.KvKeys.FromString,
                                                            w.KvExistsReply.SerializeToString),
            "KvRemove": grpc.unary_unary_rpc_method_handler(self._kv_remove, w.KvKeys.FromString,
                                                            w.KvReply.SerializeToString),
        }
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                             options=[("grpc.max_receive_message_length", 64 << 20),
                                      ("grpc.max_send_message_length", 64 << 20)])
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(w.SERVICE.strip("/"), methods),))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        return server, "127.0.0.1:%d" % port
