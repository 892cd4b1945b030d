"""What a learner's environment holds, read from the metadata of the one that runs the tests.

The development environment is the learner's plus the tools in ``requirements-dev.txt``.
Some of those tools plug into JupyterLab (nbgrader's menus and server extensions, the
classic notebook's, nbgitpuller's), which a learner's JupyterLab never has:
:func:`learner_jupyter_config` makes a Jupyter configuration folder that leaves them out.
A learner's environment is the one ``requirements.txt`` installs; on a hub it is the
single-user image's, ``binder/requirements.txt`` (which adds nbgitpuller and JupyterHub).
"""

from __future__ import annotations

import functools
import json
import re
from importlib import metadata
from pathlib import Path

from mlp_course.course.syllabus import ROOT

LEARNER_REQUIREMENTS = ROOT / "requirements.txt"
HUB_REQUIREMENTS = ROOT / "binder" / "requirements.txt"
# how a Jupyter server logs each server extension it loads
LINKED = re.compile(r"(\S+) \| extension was successfully linked")


def requirement_closure(requirements: Path) -> set[str]:
    """The distributions a requirements file asks for, with everything they depend on."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lines = (line.split("#")[0].strip() for line in requirements.read_text("utf-8").splitlines())
    # "." is the course's own package, installed from the checkout
    pending = [Requirement(_project_name() if line == "." else line)
               for line in lines if line and not line.startswith("-")]
    extras_of: dict[str, set[str]] = {}
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in extras_of and set(requirement.extras) <= extras_of[name]:
            continue
        extras = extras_of.setdefault(name, set())
        extras |= set(requirement.extras)
        installed = metadata.distribution(requirement.name)
        assert installed.version in requirement.specifier, (requirement, installed.version)
        for spec in installed.requires or []:
            needed = Requirement(spec)
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra})
                                            for extra in {"", *extras}):
                pending.append(needed)
    return set(extras_of)


def _project_name() -> str:
    import tomllib

    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["name"]


@functools.cache
def development_only_extensions(requirements: Path = LEARNER_REQUIREMENTS
                                ) -> tuple[frozenset[str], frozenset[str]]:
    """(server extensions, JupyterLab extensions) that this environment's distributions
    outside ``requirements`` (and what it depends on) install and enable. Read once per
    process and file (every distribution's file list: about 0.3 s)."""
    from packaging.utils import canonicalize_name

    learner = requirement_closure(requirements)
    server: set[str] = set()
    lab: set[str] = set()
    for installed in metadata.distributions():
        if canonicalize_name(installed.metadata["Name"]) in learner:
            continue
        for file in installed.files or ():
            parts = file.parts
            if file.suffix == ".json" and "jupyter_server_config.d" in parts:
                config = json.loads(Path(installed.locate_file(file)).read_text("utf-8"))
                enabled = config.get("ServerApp", {}).get("jpserver_extensions", {})
                server |= {name for name, on in enabled.items() if on}
            elif file.name == "package.json" and "labextensions" in parts:
                # an extension's own package.json sits at the top of its folder
                folder = "/".join(parts[parts.index("labextensions") + 1:-1])
                package = json.loads(Path(installed.locate_file(file)).read_text("utf-8"))
                if package.get("name") == folder:
                    lab.add(folder)
    return frozenset(server), frozenset(lab)


def learner_jupyter_config(folder: Path, requirements: Path = LEARNER_REQUIREMENTS) -> Path:
    """A Jupyter configuration folder (for ``JUPYTER_CONFIG_DIR`` or ``JUPYTER_CONFIG_PATH``)
    whose JupyterLab loads only what one installed from ``requirements`` would: every other
    extension turned off."""
    server, lab = development_only_extensions(requirements)
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    (folder / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in sorted(server)}}},
        indent=1), encoding="utf-8")
    (folder / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in sorted(lab)}}, indent=1),
        encoding="utf-8")
    return folder


def check_extensions(plugins: list[str], server_log: str,
                     requirements: Path = LEARNER_REQUIREMENTS,
                     linked: tuple[str, ...] = ("jupyterlab",)) -> None:
    """Fail unless a JupyterLab loaded only what one installed from ``requirements`` would:
    ``plugins`` is its page's ``window.jupyterapp.listPlugins()``, ``server_log`` its
    server's log, which must show the server extensions ``linked``. The widgets' extension
    must be in the page."""
    server, lab = development_only_extensions(requirements)
    assert server and lab, "requirements-dev.txt brings nbgrader, whose extensions " \
                           f"{requirements.name} does not install"
    loaded = {plugin.split(":")[0] for plugin in plugins}
    assert not loaded & lab, sorted(loaded & lab)
    assert "@jupyter-widgets/jupyterlab-manager" in loaded
    found = set(LINKED.findall(server_log))
    assert set(linked) <= found and not found & server, sorted(found)
