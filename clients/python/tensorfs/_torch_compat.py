"""Imports of torch's distributed checkpoint modules that work on every torch the client supports.

torch 1.13's ``torch.distributed._shard`` (Debian 12's python3-torch) declares dataclass fields whose
default is another dataclass instance. Python 3.11 refuses such defaults ("mutable default ... use
default_factory"), so the package cannot be imported there. While it is imported, such a default is
turned into a default_factory that copies it, which is what the field meant; nothing else changes.
"""

import copy
import dataclasses
import importlib
import sys
import threading

_lock = threading.Lock()


def import_module(name):
    """``importlib.import_module(name)``, with the 1.13 dataclass defaults admitted on Python 3.11+."""
    if name in sys.modules or sys.version_info < (3, 11):
        return importlib.import_module(name)
    with _lock:
        original = dataclasses._get_field

        def get_field(cls, a_name, a_type, *args, **kwargs):
            default = cls.__dict__.get(a_name, dataclasses.MISSING)
            if isinstance(default, dataclasses.Field):
                if _refused(default.default):
                    default.default_factory = _copier(default.default)
                    default.default = dataclasses.MISSING
            elif _refused(default):
                setattr(cls, a_name, dataclasses.field(default_factory=_copier(default)))
            return original(cls, a_name, a_type, *args, **kwargs)

        dataclasses._get_field = get_field
        try:
            return importlib.import_module(name)
        finally:
            dataclasses._get_field = original


def _refused(value):
    """A default Python 3.11 refuses and 1.13 meant as a template: an instance of an unhashable dataclass."""
    return (value is not dataclasses.MISSING and not isinstance(value, type) and dataclasses.is_dataclass(value)
            and type(value).__hash__ is None)


def _copier(value):
    return lambda: copy.deepcopy(value)


def dcp_modules():
    """(checkpoint package, planner module, storage module): torch.distributed.checkpoint on torch 2.x,
    torch.distributed._shard.checkpoint on torch 1.13."""
    try:
        base = "torch.distributed.checkpoint"
        package = importlib.import_module(base)
    except ImportError:
        base = "torch.distributed._shard.checkpoint"
        package = import_module(base)
    return package, importlib.import_module(base + ".planner"), importlib.import_module(base + ".storage")
