"""The grader's few functions inside a student's kernel, and the file format they share.

评分器放进学生内核里的几个函数，以及双方交换数据的文件格式。

This module needs only the standard library and numpy. The grader sends its
source text into each kernel (it is not imported there from ``mlp_course``,
which the submission may have changed), and imports it itself to write the
inputs and read the outputs.

Values cross between the two processes as a JSON tree plus ``.npy`` files:
arrays are saved with ``allow_pickle=False`` and read back the same way, so
no object from the student's kernel is ever unpickled by the grader. An output
that is not a number, an array, a string, ``None`` or a tuple/list/dict of
those arrives as an :class:`Opaque` placeholder naming its type.

Nothing here decides a grade: the kernel side only calls the function and
writes what came out. The comparison happens in the grader's own process.
"""

from __future__ import annotations

import json
import os
import re

RESULT = "result.json"
INPUTS = "inputs.json"
DESCRIPTION = "describe.json"
_FILE_NAME = re.compile(r"^[a-z]\d{1,6}\.npy$")
MAX_SOURCE = 100_000


class Opaque:
    """An output the grader cannot read as data; only its type name crosses over."""

    def __init__(self, type_name: str):
        self.type_name = str(type_name)[:80]

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def opaque(type_name) -> Opaque:
    """A placeholder whose class is named like the original type (for error messages)."""
    name = re.sub(r"[^A-Za-z0-9_.\[\]]", "_", str(type_name))[:60] or "object"
    return type(name, (Opaque,), {})(name)


class ExchangeError(Exception):
    """A result file that is missing, too large or malformed."""


# ---------------------------------------------------------------------------
# Writing values (both sides)

def encode(value, folder: str, prefix: str = "a") -> dict:
    """Save ``value`` under ``folder`` and return the JSON tree describing it."""
    import numpy as np

    counter = [0]

    def save(array) -> str:
        name = f"{prefix}{counter[0]}.npy"
        counter[0] += 1
        np.save(os.path.join(folder, name), array, allow_pickle=False)
        return name

    def walk(item, depth: int):
        if depth > 20:
            return {"t": "object", "type": "deeply nested value"}
        if item is None:
            return {"t": "none"}
        if isinstance(item, np.ndarray):
            if item.dtype.kind not in "biufc" or item.dtype.hasobject:
                return {"t": "object", "type": f"ndarray[{item.dtype}]"}
            # a read-only input stays read-only: writing into it must fail loudly
            return {"t": "array", "file": save(item), "ro": not item.flags.writeable}
        if isinstance(item, np.random.Generator):
            bit_generator = item.bit_generator
            return {"t": "rng", "kind": type(bit_generator).__name__,
                    "state": _plain(bit_generator.state)}
        if isinstance(item, np.generic):
            if np.asarray(item).dtype.kind not in "biufc":
                return {"t": "object", "type": type(item).__name__}
            return {"t": "scalar", "file": save(np.asarray(item))}
        if isinstance(item, bool):
            return {"t": "bool", "v": item}
        if isinstance(item, int):
            return {"t": "int", "v": str(item)}
        if isinstance(item, float):
            return {"t": "float", "v": repr(item)}
        if isinstance(item, str):
            return {"t": "str", "v": item[:10_000]}
        if isinstance(item, (tuple, list)) and len(item) <= 10_000:
            return {"t": "tuple" if isinstance(item, tuple) else "list",
                    "items": [walk(part, depth + 1) for part in item]}
        if isinstance(item, dict) and len(item) <= 10_000 and all(isinstance(k, str) for k in item):
            return {"t": "dict", "items": {key: walk(part, depth + 1) for key, part in item.items()}}
        return {"t": "object", "type": type(item).__qualname__}

    return walk(value, 0)


_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")


def _plain(state):
    """A random generator's state as JSON (arrays tagged with their dtype)."""
    import numpy as np

    if isinstance(state, dict):
        return {str(key): _plain(value) for key, value in state.items()}
    if isinstance(state, np.ndarray):
        return {"__array__": state.tolist(), "dtype": str(state.dtype)}
    if isinstance(state, np.generic):
        return state.item()
    return state


def _restored(state, depth: int = 0):
    import numpy as np

    if depth > 5:
        raise ExchangeError("malformed generator state")
    if isinstance(state, dict) and "__array__" in state:
        dtype = str(state.get("dtype"))
        if dtype not in ("uint32", "uint64") or not isinstance(state["__array__"], list) \
                or len(state["__array__"]) > 10_000:
            raise ExchangeError("malformed generator state")
        return np.asarray(state["__array__"], dtype=dtype)
    if isinstance(state, dict):
        return {str(key): _restored(value, depth + 1) for key, value in state.items()}
    if isinstance(state, (int, str)) and not isinstance(state, bool):
        return state
    raise ExchangeError("malformed generator state")


# ---------------------------------------------------------------------------
# Reading values (the grader reads what the kernel wrote: untrusted)

def decode(tree, folder: str, max_bytes: int = 256 * 1024 * 1024):
    """Rebuild a value written by :func:`encode`, never unpickling anything.

    Raises :class:`ExchangeError` for a malformed tree, a file outside
    ``folder``, or more than ``max_bytes`` of arrays.
    """
    import numpy as np

    budget = [max_bytes]

    def load(name) -> "np.ndarray":
        if not isinstance(name, str) or not _FILE_NAME.match(name):
            raise ExchangeError(f"bad file name {name!r}")
        import io

        data = read_bytes(os.path.join(folder, name), budget[0], what=name)
        budget[0] -= len(data)
        try:
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except Exception as error:
            raise ExchangeError(f"unreadable array {name}: {type(error).__name__}") from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biufc":
            raise ExchangeError(f"unexpected array type in {name}")
        return array

    def walk(node, depth: int):
        if depth > 25 or not isinstance(node, dict):
            raise ExchangeError("malformed value")
        kind = node.get("t")
        if kind == "none":
            return None
        if kind == "array":
            array = load(node.get("file"))
            if node.get("ro") is True:
                array.flags.writeable = False
            return array
        if kind == "rng":
            if node.get("kind") not in _BIT_GENERATORS:
                raise ExchangeError("unknown random generator")
            bit_generator = getattr(np.random, node["kind"])()
            try:
                bit_generator.state = _restored(node.get("state"))
            except (TypeError, ValueError, KeyError) as error:
                raise ExchangeError(f"bad generator state: {type(error).__name__}") from None
            return np.random.Generator(bit_generator)
        if kind == "scalar":
            return load(node.get("file"))[()]
        if kind == "bool":
            return bool(node.get("v"))
        if kind == "int":
            text = str(node.get("v"))
            if len(text) > 4300:
                raise ExchangeError("integer too long")
            return int(text)
        if kind == "float":
            return float(str(node.get("v")))
        if kind == "str":
            return str(node.get("v"))[:10_000]
        if kind in ("tuple", "list"):
            items = node.get("items")
            if not isinstance(items, list):
                raise ExchangeError("malformed sequence")
            parts = [walk(part, depth + 1) for part in items]
            return tuple(parts) if kind == "tuple" else parts
        if kind == "dict":
            items = node.get("items")
            if not isinstance(items, dict):
                raise ExchangeError("malformed mapping")
            return {str(key): walk(part, depth + 1) for key, part in items.items()}
        if kind == "object":
            return opaque(node.get("type", "object"))
        raise ExchangeError(f"unknown value kind {kind!r}")

    return walk(tree, 0)


def read_bytes(path: str, max_bytes: int, what: str = "result") -> bytes:
    """A regular file's bytes, at most ``max_bytes``: never through a symbolic link, and
    never a pipe or a device (a kernel could plant either where the grader reads)."""
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise ExchangeError(f"no readable {what} ({type(error).__name__})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise ExchangeError(f"{what} is not a regular file")
        if info.st_size > max_bytes:
            raise ExchangeError(f"{what} too large")
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(descriptor, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise ExchangeError(f"{what} too large")
        return data
    except OSError as error:
        raise ExchangeError(f"no readable {what} ({type(error).__name__})") from None
    finally:
        os.close(descriptor)


def read_json(path: str, max_bytes: int = 4 * 1024 * 1024):
    """Read a small JSON file written by the kernel; :class:`ExchangeError` if unusable."""
    data = read_bytes(path, max_bytes)
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError as error:
        raise ExchangeError(f"no readable result ({type(error).__name__})") from None


def _write_json(path: str, data) -> None:
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(partial, path)


# ---------------------------------------------------------------------------
# Kernel side: capture a function right after its cell, call it on one case

_captured: dict = {}


def _source_of(obj):
    import inspect

    try:
        return inspect.getsource(obj)[:MAX_SOURCE]
    except Exception:
        return None


def _dotted(obj) -> str | None:
    """``module:qualname`` of a library object (a module, class or callable), else None."""
    import types

    if isinstance(obj, types.ModuleType):
        return f"{obj.__name__}:"
    if not callable(obj):
        return None
    module = getattr(obj, "__module__", None)
    if not isinstance(module, str) or module in ("__main__", "builtins"):
        if not isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)) \
                and isinstance(getattr(type(obj), "__module__", None), str):
            module = type(obj).__module__  # an instance: its class's module
            if module in ("__main__", "builtins"):
                return None
            return f"{module}:{type(obj).__qualname__}"
        return None
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or ""
    return f"{module}:{qualname}" if isinstance(qualname, str) else f"{module}:"


def _library_in(values) -> list:
    found = []
    for value in values:
        try:
            name = _dotted(value)
        except Exception:
            name = None
        if name is not None:
            found.append(name[:200])
    return found


def _describe(fn, namespace) -> dict:
    """What the grader needs to know about a captured function (for forbidden checks).

    For a callable that is not a plain function (an instance with ``__call__``,
    a bound method, a ``functools.partial``) the function that really runs is
    followed. Library objects it reaches without naming them are listed too:
    its default arguments, its closure, the globals it reads.
    """
    import types

    info = {"found": fn is not None, "callable": callable(fn), "type": type(fn).__qualname__,
            "module": str(getattr(fn, "__module__", "") or ""),
            "qualname": str(getattr(fn, "__qualname__", "") or getattr(fn, "__name__", "") or ""),
            "source": None, "helpers": {}, "defaults": [], "closure": [], "referenced": []}
    target = fn
    if isinstance(fn, types.MethodType):
        target = fn.__func__
        info["defaults"] += _library_in([fn.__self__])
    elif not isinstance(fn, types.FunctionType) and callable(fn):
        partial_func = getattr(fn, "func", None)
        if callable(partial_func) and isinstance(getattr(fn, "args", None), tuple):
            target = partial_func
            info["defaults"] += _library_in([partial_func, *fn.args,
                                             *(getattr(fn, "keywords", None) or {}).values()])
        else:
            kind = type(fn)
            call = getattr(kind, "__call__", None)
            if isinstance(call, types.FunctionType):
                target = call
                info["class_source"] = _source_of(kind)
                try:
                    info["defaults"] += _library_in(list(vars(fn).values())[:100])
                except TypeError:
                    pass
    if not isinstance(target, types.FunctionType):
        return info
    info["source"] = _source_of(target)
    # helper functions of the notebook that the function calls, followed a few levels deep
    seen, queue = {id(target)}, [target]
    while queue and len(info["helpers"]) < 20:
        current = queue.pop()
        info["defaults"] += _library_in(list(current.__defaults__ or ())
                                        + list((current.__kwdefaults__ or {}).values()))
        cells = []
        for cell in current.__closure__ or ():
            try:
                cells.append(cell.cell_contents)
            except ValueError:  # an empty cell
                continue
        info["closure"] += _library_in(cells)
        for inner in cells:
            if isinstance(inner, types.FunctionType) and id(inner) not in seen:
                seen.add(id(inner))
                queue.append(inner)
        codes, names = [current.__code__], set()
        while codes:
            code = codes.pop()
            names.update(code.co_names)
            codes.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
        for name in sorted(names):
            helper = namespace.get(name)
            if (isinstance(helper, types.FunctionType) and id(helper) not in seen
                    and getattr(helper, "__module__", None) == "__main__"):
                seen.add(id(helper))
                queue.append(helper)
                info["helpers"][name] = _source_of(helper)
            elif helper is not None and getattr(helper, "__module__", None) != "__main__":
                info["referenced"] += _library_in([helper])
    for key in ("defaults", "closure", "referenced"):
        info[key] = sorted(set(info[key]))[:200]
    return info


# ---------------------------------------------------------------------------
# Built-ins and the helper itself, as they were when the kernel started

_ORIGINAL: dict = {}
_WATCHED_BUILTINS = ("isinstance", "issubclass", "type", "callable", "getattr", "hasattr",
                     "setattr", "open", "globals", "__import__", "repr", "str", "len", "compile",
                     "exec", "eval", "super", "print", "BaseException", "Exception",
                     "NotImplementedError")
_HELPER_FUNCTIONS = ("capture", "call", "disarm", "encode", "decode", "read_json",
                     "_write_json", "_describe", "_source_of", "_dotted", "_library_in",
                     "tampered", "read_bytes")


def seal() -> None:
    """Remember built-ins and this module's functions as the kernel started (before any cell)."""
    import builtins
    import inspect

    import numpy as np

    module = globals()
    for name in _WATCHED_BUILTINS:
        _ORIGINAL["builtins." + name] = (builtins, name, getattr(builtins, name, None))
    for name in _HELPER_FUNCTIONS:
        _ORIGINAL["helper." + name] = (None, name, module.get(name))
        function = module.get(name)
        if function is not None:
            _ORIGINAL["helper." + name + ".__code__"] = (function, "__code__", function.__code__)
    for owner, name in ((json, "dump"), (json, "load"), (np, "save"), (np, "load"),
                        (inspect, "getsource")):
        _ORIGINAL[f"{owner.__name__}.{name}"] = (owner, name, getattr(owner, name, None))


def tampered() -> list:
    """Which of the remembered objects a cell has replaced since the kernel started."""
    changed = []
    module = globals()
    for label, (owner, name, original) in _ORIGINAL.items():
        try:
            current = module.get(name) if owner is None else getattr(owner, name, None)
        except Exception:
            current = None
        if current is not original:
            changed.append(label)
    return changed


def capture(namespace, exercise_id: str, function_name: str, path: str) -> None:
    """Keep the function the exercise names, as it is right after its solution cell."""
    fn = namespace.get(function_name)
    _captured[exercise_id] = fn
    try:
        info = _describe(fn, namespace)
    except Exception as error:  # an odd object must not stop the grading
        info = {"found": fn is not None, "callable": callable(fn), "type": type(fn).__qualname__,
                "module": "", "qualname": "", "source": None, "helpers": {},
                "problem": type(error).__name__}
    try:
        info["tampered"] = tampered()
    except Exception as error:
        info["tampered"] = [f"check failed: {type(error).__name__}"]
    _write_json(path, info)


def disarm(namespace, function_name: str, seconds: float) -> None:
    """Replace a function that never returned (or was stopped at a limit) by one that
    fails at once.

    The lesson's own cells often call the learner's function again (to plot
    it, or through ``working``); each would wait out a whole cell time limit,
    or stop the kernel again. The verdict on it is already decided, so it now
    raises instead.
    """
    def never_returned(*args, **kwargs):
        raise TimeoutError(f"{function_name} did not return within {seconds:g} s when graded, "
                           f"or was stopped at a limit")

    never_returned.__name__ = never_returned.__qualname__ = function_name
    namespace[function_name] = never_returned


def call(exercise_id: str, folder: str, out: str | None = None) -> None:
    """Call the captured function on the inputs in ``folder``; write what came out to ``out``.

    ``folder`` is the grader's (read-only here); ``out`` is made in the kernel's own
    scratch folder (``folder`` itself if not given).
    """
    import warnings

    import numpy as np

    out = out or folder
    os.makedirs(out, exist_ok=True)
    spec = read_json(os.path.join(folder, INPUTS))
    args = decode(spec["args"], folder)
    kwargs = decode(spec["kwargs"], folder)
    fn = _captured.get(exercise_id)
    result: dict = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                got = fn(*args, **kwargs)
    except BaseException as error:  # whatever the learner's code does, report it
        message = str(error) if not isinstance(error, KeyboardInterrupt) else ""
        result["raised"] = {"type": type(error).__name__, "message": message[:500],
                            "not_implemented": isinstance(error, NotImplementedError)}
    else:
        try:
            result["output"] = encode(got, out, prefix="o")
        except BaseException as error:  # e.g. a disk or memory limit while saving
            result["raised"] = {"type": type(error).__name__, "message": str(error)[:500],
                                "not_implemented": False, "while_saving": True}
    try:
        result["args_after"] = encode(args, out, prefix="m")
    except BaseException:
        result["args_after"] = None
    _write_json(os.path.join(out, RESULT), result)
