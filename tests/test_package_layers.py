"""The package's layers: which part may import which.

    i18n   <-  nn (numpy only)  <-  course  <-  grader

``mlp_course.i18n`` imports nothing of the package; ``nn`` imports only ``i18n`` and
itself, and at module level nothing but the standard library and numpy; ``course``
never imports ``grader``. The walk reads every import statement, including those
inside functions, so a lazy import cannot hide a wrong direction.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mlp_course"

# layer -> the package's layers it may import
ALLOWED = {
    "i18n": set(),
    "nn": {"i18n", "nn"},
    "course": {"i18n", "nn", "course"},
    "grader": {"i18n", "nn", "course", "grader"},
    "__init__": {"i18n", "nn", "course", "grader"},
    "__main__": {"i18n", "nn", "course", "grader"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path):
    """(imported module, line, at module level) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module in ("mlp_course", "mlp_course.nn", "mlp_course.course") or node.level and not node.module:
                # `from . import x` / `from mlp_course.nn import x`: x may be a module
                for alias in node.names:
                    yield f"{module}.{alias.name}", node.lineno, id(node) in top_level
            else:
                yield module, node.lineno, id(node) in top_level


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "mlp_course":
        return None
    if len(parts) == 1:
        return "__init__"
    return parts[1] if parts[1] in ALLOWED else "__init__"


FILES = sorted(path for path in PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_layer():
    for path in FILES:
        name = _module_name(path)
        assert _layer(name) in ALLOWED, name
    assert {_layer(_module_name(p)) for p in FILES} >= {"i18n", "nn", "course", "grader"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_go_down_the_layers(path):
    here = _layer(_module_name(path))
    wrong = []
    for module, line, _ in _imports(path):
        there = _layer(module)
        if there is not None and there != "__init__" and there not in ALLOWED[here]:
            wrong.append(f"line {line}: {module}")
        if there == "__init__" and here in ("i18n", "nn", "course", "grader") and module != "mlp_course":
            wrong.append(f"line {line}: {module} (not in any layer)")
    assert not wrong, f"{path.name} ({here}) imports a layer above it: " + "; ".join(wrong)


NN_FILES = [p for p in FILES if _layer(_module_name(p)) in ("nn", "i18n")]
STDLIB = set(sys.stdlib_module_names)


@pytest.mark.parametrize("path", NN_FILES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_core_needs_numpy_only_at_import(path):
    heavy = [f"line {line}: {module}" for module, line, top in _imports(path)
             if top and module.split(".")[0] not in STDLIB | {"numpy", "mlp_course", "__future__"}]
    assert not heavy, f"{path.name} imports more than numpy when it is imported: " + "; ".join(heavy)


def test_the_walk_sees_a_wrong_import(tmp_path, monkeypatch):
    """The check itself can fail: a core module importing the course is caught."""
    fake = PACKAGE / "nn" / "probability.py"
    source = "from ..course import exercises\nimport torch\n"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    assert ("mlp_course.course.exercises", 1, True) in list(_imports(fake))
    with pytest.raises(AssertionError, match="imports a layer above it"):
        test_imports_go_down_the_layers(fake)
    with pytest.raises(AssertionError, match="more than numpy"):
        test_core_needs_numpy_only_at_import(fake)


def test_only_the_torch_bridge_imports_torch_in_the_core():
    """PyTorch enters the core in one place, inside the bridge's functions."""
    users = {path.name for path in NN_FILES
             for module, _, _ in _imports(path) if module.split(".")[0] == "torch"}
    assert users == {"torch_bridge.py"}, users
    bridge = PACKAGE / "nn" / "torch_bridge.py"
    assert all(not top for module, _, top in _imports(bridge) if module.split(".")[0] == "torch")


def test_the_mlp_class_delegates_training_and_the_bridge():
    """The MLP class stays readable: the fused step, the loop and the conversion live elsewhere."""
    source = (PACKAGE / "nn" / "mlp.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    mlp = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "MLP")
    methods = {node.name: node for node in mlp.body if isinstance(node, ast.FunctionDef)}
    for name, helper in (("train_step", "training.train_step"), ("fit", "training.fit"),
                         ("to_torch", "torch_bridge.to_torch"),
                         ("from_torch", "torch_bridge.from_torch"),
                         ("load_torch", "torch_bridge.load_torch")):
        body = [node for node in methods[name].body if not isinstance(node, ast.Expr)]
        assert len(body) == 1 and helper in ast.unparse(body[0]), name
