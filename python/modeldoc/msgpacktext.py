"""Strict MessagePack <-> value tree.

msgpack-python keeps the last duplicate key, returns extension types as
objects and accepts any key type unless told otherwise; we tell it.
"""

from __future__ import annotations

from typing import Any

import msgpack

from .codenames import Code
from .errors import Collector
from .tree import Marker, pairs_hook


def _ext_hook(code: int, data: bytes) -> Marker:
    return Marker("SYNTAX_MSGPACK_TYPE", f"extension type {code} is not part of the data model")


def parse_msgpack(buf: bytes, out: Collector) -> Any:
    """Parse MessagePack bytes; on error add a finding and return None."""
    try:
        return msgpack.unpackb(
            buf,
            raw=False,
            strict_map_key=False,  # non-str keys are reported, with the map's pointer, by check_tree
            use_list=True,
            ext_hook=_ext_hook,
            object_pairs_hook=pairs_hook,
            timestamp=0,
        )
    except msgpack.ExtraData:
        out.add("SYNTAX_TRAILING_DATA", "", "bytes follow the top-level MessagePack value")
    except UnicodeDecodeError as e:
        out.add("SYNTAX_UTF8", "", f"MessagePack str is not valid UTF-8 ({e.reason})")
    except (msgpack.FormatError, msgpack.StackError) as e:
        code: Code = "SYNTAX_DEPTH" if isinstance(e, msgpack.StackError) else "SYNTAX_MSGPACK"
        out.add(code, "", f"malformed MessagePack: {e}")
    except ValueError as e:
        msg = str(e)
        if "map key" in msg:
            out.add("SYNTAX_MSGPACK_TYPE", "", "map keys must be strings")
        else:
            out.add("SYNTAX_MSGPACK", "", f"malformed MessagePack: {msg}")
    except TypeError as e:  # unhashable key such as a map used as a key
        out.add("SYNTAX_MSGPACK_TYPE", "", f"map keys must be strings ({e})")
    return None
