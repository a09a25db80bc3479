"""The gRPC wire contract, loaded at import time from the descriptor compiled from
clients/proto/tensorfs/v1/tensorfs.proto (see README.md: no generated Python code)."""

import os

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PROTO_FILE = "tensorfs/v1/tensorfs.proto"
SERVICE = "/tensorfs.v1.Tensorfs/"
CHECKPOINTS = "/tensorfs.v1.Checkpoints/"

_pool = descriptor_pool.DescriptorPool()
with open(os.path.join(os.path.dirname(__file__), "tensorfs_v1.desc"), "rb") as _f:
    for _file in descriptor_pb2.FileDescriptorSet.FromString(_f.read()).file:
        _pool.AddSerializedFile(_file.SerializeToString())
_fd = _pool.FindFileByName(_PROTO_FILE)

# protobuf >= 4.22 (Python) has GetMessageClass; older ones build classes through a MessageFactory.
if hasattr(message_factory, "GetMessageClass"):
    _message_class = message_factory.GetMessageClass
else:
    _message_class = message_factory.MessageFactory(_pool).GetPrototype


def _message(name):
    return _message_class(_fd.message_types_by_name[name])


def _enum(name):
    return {v.name: v.number for v in _fd.enum_types_by_name[name].values}


Submission = _message("Submission")
Completion = _message("Completion")
Sge = _message("Sge")
StatRequest = _message("StatRequest")
FileInfo = _message("FileInfo")
ListRequest = _message("ListRequest")
ListReply = _message("ListReply")
DeleteRequest = _message("DeleteRequest")
Precondition = _message("Precondition")
DeleteReply = _message("DeleteReply")
DeleteTreeRequest = _message("DeleteTreeRequest")
DeleteTreeReply = _message("DeleteTreeReply")
HintRequest = _message("HintRequest")
HintReply = _message("HintReply")
ReadRequest = _message("ReadRequest")
Chunk = _message("Chunk")
WriteChunk = _message("WriteChunk")
MkdirRequest = _message("MkdirRequest")
RmdirRequest = _message("RmdirRequest")
RmdirReply = _message("RmdirReply")
RenameRequest = _message("RenameRequest")
SetAttributesRequest = _message("SetAttributesRequest")
BeginCheckpointRequest = _message("BeginCheckpointRequest")
CheckpointRequest = _message("CheckpointRequest")
CheckpointInfo = _message("CheckpointInfo")
SaveMessage = _message("SaveMessage")
SaveReply = _message("SaveReply")
ItemState = _message("ItemState")
CheckpointManifest = _message("CheckpointManifest")
ListCheckpointsRequest = _message("ListCheckpointsRequest")
ListCheckpointsReply = _message("ListCheckpointsReply")
RestoreRequest = _message("RestoreRequest")
RestoreMessage = _message("RestoreMessage")
ItemRef = _message("ItemRef")
ItemRead = _message("ItemRead")
RetainRequest = _message("RetainRequest")
KvKeys = _message("KvKeys")
KvPutRequest = _message("KvPutRequest")
KvResult = _message("KvResult")
KvReply = _message("KvReply")
KvGetRequest = _message("KvGetRequest")
KvGetReply = _message("KvGetReply")
KvExistsReply = _message("KvExistsReply")
AttachLocalRequest = _message("AttachLocalRequest")
AttachLocalReply = _message("AttachLocalReply")

STATUS = _enum("Status")
STATUS_NAMES = {number: name for name, number in STATUS.items()}
OP = _enum("Op")
FLAG = _enum("Flag")
HINT_OP = _enum("HintOp")
CHECKPOINT_STATE = _enum("CheckpointState")
