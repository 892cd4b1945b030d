"""Finding submissions, naming their students, reading them, and what can be judged statically.

找到作业、确定学生、读取笔记本，以及无需运行即可判断的内容（禁止的捷径）。

Who a notebook belongs to (the rule the command documents):

* a folder given on the command line is searched for ``*.ipynb`` (recursively,
  skipping hidden folders and ``.ipynb_checkpoints``); a notebook in a
  subfolder belongs to that subfolder, ``submitted/alice/anything.ipynb`` to
  ``alice`` (folders named like a lesson are skipped, as in nbgrader's
  ``submitted/alice/01_softmax/01_softmax.ipynb``);
* a notebook directly in that folder, or given by itself, belongs to its file
  name without the extension: ``submitted/bob.ipynb`` is ``bob``'s;
* except a notebook named like a lesson (``01_softmax.ipynb``): it belongs to
  the folder that holds it, so ``python -m mlp_course grade carol/`` and
  ``python -m mlp_course grade carol/01_softmax.ipynb`` both grade ``carol``.

What is graded, and what only reported:

* a notebook must be a regular file inside the submissions folder. A symbolic
  link (``mallory/01.ipynb -> ../alice/01.ipynb``, or a link to a system file)
  gets a row of its own saying it is a link, and is never read; the student it
  points at keeps their own row. Anything else that is not a regular file (a
  pipe, a device) is refused the same way;
* two or more notebooks of one lesson from one student are all graded and
  reported, with a warning on each; **the most recently modified one counts**
  (equal times: the last file name in sorted order). The others' rows keep
  their verdicts but score 0, marked ``counted = no``;
* a notebook whose content is another lesson than its file name says
  (a solved lesson 02 saved as ``01_softmax.ipynb``) is graded as the lesson
  its content is, with a flag for a human look.

The notebook is read leniently as JSON (a learner may have edited it by hand):
only code cells' sources and their ``nbgrader`` metadata matter.
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import json
import os
import stat
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..course.syllabus import BY_ID
from ..i18n import Message

MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024

# statuses of the row describing a whole submission (see mlp_course.grader.verdict)
SYMLINK = "symlink"
NOT_A_FILE = "not_a_file"
DUPLICATE = "duplicate"
NAME_MISMATCH = "name_mismatch"


@dataclass
class Cell:
    index: int          # position among the notebook's cells
    source: str
    grade_id: str | None = None
    solution: bool = False
    grade: bool = False

    @property
    def is_check(self) -> bool:
        """A check cell (nbgrader ``grade: true`` without ``solution``): never run."""
        return self.grade and not self.solution


@dataclass
class Submission:
    """One notebook to grade, and what was learnt from reading it.  一份待评分的作业。"""

    student: str
    path: Path
    cells: list[Cell] = field(default_factory=list)
    metadata_lesson: str | None = None
    lesson: str | None = None
    problem: Message | None = None      # why it cannot be graded, if it cannot
    problem_status: str = ""
    counted: bool = True                # False for a duplicate that does not count
    warnings: list[tuple[str, Message]] = field(default_factory=list)  # reported, still graded
    flags: list[Message] = field(default_factory=list)  # needs a human look
    read: bool = field(default=False, repr=False)
    root: Path | None = None            # the folder given on the command line, if any
    digest: str = ""                    # SHA-256 of what was read (of the link, for a link)

    @property
    def label(self) -> str:
        return f"{self.student} ({self.path.name})"


# ---------------------------------------------------------------------------
# Finding submissions

def _lesson_named(name: str) -> bool:
    return name in BY_ID


def student_of(path: Path, root: Path | None = None) -> str:
    """The student a notebook belongs to (see the module docstring).

    ``root`` is the folder given on the command line that the notebook was found in.
    """
    path = Path(path)
    if root is not None:
        for part in path.relative_to(root).parts[:-1]:
            if not _lesson_named(part):
                return part
    if not _lesson_named(path.stem):
        return path.stem
    for folder in path.resolve().parents:
        if folder.name and not _lesson_named(folder.name):
            return folder.name
    return path.stem


def _wanted(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return not any(part.startswith(".") or part == ".ipynb_checkpoints" for part in parts)


def _candidates(folder: Path) -> list[Path]:
    """Every ``*.ipynb`` entry under ``folder`` that is not a folder: regular files,
    symbolic links (even dangling ones) and other odd entries, which are refused later
    with a row of their own. Symbolic links to folders are not followed."""
    found = []
    for path in folder.rglob("*.ipynb"):
        if not _wanted(path, folder):
            continue
        if path.is_symlink() or not path.is_dir():
            found.append(path)
    return sorted(found)


def find_submissions(arguments: list[str]) -> tuple[list[Submission], list[str]]:
    """Expand the command's arguments into submissions; also return the arguments not found.

    The same file named twice (a folder and a notebook in it) is one submission; two
    names of one file (a symbolic link and its target) are two, and the link is refused
    when it is read.
    """
    found: list[Submission] = []
    missing: list[str] = []
    seen: set[str] = set()
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():  # the instructor's own folder (it may itself be a link)
            paths, root = _candidates(path), path
        elif path.is_symlink() or path.exists():
            paths, root = [path], None
        else:
            missing.append(argument)
            continue
        for notebook in paths:
            key = os.path.abspath(notebook)
            if key not in seen:
                seen.add(key)
                found.append(Submission(student=student_of(notebook, root), path=notebook,
                                        root=root))
    return found, missing


# ---------------------------------------------------------------------------
# Reading a notebook

def _joined(source) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    return ""


def _link_inside(path: Path, root: Path | None) -> Path | None:
    """The first symbolic link among the notebook and the folders between it and the
    folder given on the command line, or ``None``."""
    path = Path(path)
    if path.is_symlink():
        return path
    if root is not None:
        for folder in path.relative_to(root).parents:
            if str(folder) != "." and (root / folder).is_symlink():
                return root / folder
    return None


def read_submission(submission: Submission) -> Submission:
    """Fill in the cells and the notebook's own lesson; set ``problem`` if unreadable.

    Reading twice does nothing more (the batch reads every notebook once before
    grading, to find duplicates).
    """
    if submission.read:
        return submission
    submission.read = True
    path = submission.path

    def unreadable(zh: str, en: str, status: str = "unreadable", **fields) -> Submission:
        submission.problem = Message(zh=zh, en=en, **fields)
        submission.problem_status = status
        return submission

    link = _link_inside(path, submission.root)
    if link is not None:
        try:
            target = os.readlink(link)
        except OSError:
            target = "?"
        submission.digest = hashlib.sha256(f"link:{link}:{target}".encode()).hexdigest()
        return unreadable(
            zh="{name} 是一个符号链接（指向 {target}），不是笔记本文件，因此没有评分。"
               "请提交笔记本文件本身。",
            en="{name} is a symbolic link (to {target}), not a notebook file, so it was not "
               "graded. Please submit the notebook file itself.",
            status=SYMLINK, name=link.name, target=target)
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        descriptor = os.open(path, flags)
    except OSError as error:
        return unreadable(zh="无法读取文件：{error}", en="The file cannot be read: {error}",
                          error=type(error).__name__)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return unreadable(zh="{name} 不是普通文件（而是管道、设备或其他特殊文件），没有评分。",
                              en="{name} is not a regular file (it is a pipe, a device or "
                                 "another special file), so it was not graded.",
                              status=NOT_A_FILE, name=path.name)
        if info.st_size > MAX_NOTEBOOK_BYTES:
            return unreadable(zh="笔记本文件过大（{mb:.0f} MB），无法评分。",
                              en="The notebook file is too large ({mb:.0f} MB) to grade.",
                              mb=info.st_size / 2**20)
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            raw = handle.read(MAX_NOTEBOOK_BYTES + 1)
        submission.digest = hashlib.sha256(raw).hexdigest()
    except OSError as error:
        return unreadable(zh="无法读取文件：{error}", en="The file cannot be read: {error}",
                          error=type(error).__name__)
    finally:
        os.close(descriptor)
    if not raw.strip():
        return unreadable(zh="文件是空的：请提交保存好的 .ipynb 笔记本。",
                          en="The file is empty: please submit the saved .ipynb notebook.")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return unreadable(zh="文件不是 JSON，因此不是 Jupyter 笔记本（.ipynb）。可能保存时出错，"
                             "或提交了别的文件。",
                          en="The file is not JSON, so it is not a Jupyter notebook (.ipynb). "
                             "It may have been saved badly, or another file was submitted.")
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return unreadable(zh="文件是 JSON，但不是第 4 版 Jupyter 笔记本（没有 cells 列表）。",
                          en="The file is JSON but not a version-4 Jupyter notebook "
                             "(it has no list of cells).")
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        nbgrader = metadata.get("nbgrader") if isinstance(metadata.get("nbgrader"), dict) else {}
        grade_id = nbgrader.get("grade_id")
        submission.cells.append(Cell(
            index=index, source=_joined(cell.get("source", "")),
            grade_id=grade_id if isinstance(grade_id, str) else None,
            solution=nbgrader.get("solution") is True, grade=nbgrader.get("grade") is True))
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    course = metadata.get("mlp_course") if isinstance(metadata.get("mlp_course"), dict) else {}
    lesson = course.get("lesson")
    submission.metadata_lesson = lesson if isinstance(lesson, str) and lesson in BY_ID else None
    return submission


def lesson_from_grade_ids(submission: Submission, registry: dict) -> str | None:
    """The lesson most of the notebook's exercise cells belong to, if any."""
    votes = Counter(registry[cell.grade_id].lesson for cell in submission.cells
                    if cell.grade_id in registry)
    return votes.most_common(1)[0][0] if votes else None


def lesson_from_file_name(path: Path) -> str | None:
    for name in (path.stem, *(folder.name for folder in path.parents)):
        if name in BY_ID:
            return name
    return None


def solution_cell(submission: Submission, exercise_id: str) -> Cell | None:
    """The cell that defines an exercise's solution: the last cell with its grade_id.

    Found by ``grade_id``, never by position, so moved or added cells do not
    matter; if a learner duplicated the cell, the last copy is the one whose
    definition stands when the check would run.
    """
    found = None
    for cell in submission.cells:
        if cell.grade_id == exercise_id and not cell.is_check:
            found = cell
    return found


# ---------------------------------------------------------------------------
# The whole class at once: duplicates and notebooks named for another lesson

DUPLICATE_RULE = Message(
    zh="同一名学生同一课有多份笔记本时，全部评分并报告，以最后修改的那一份计分"
       "（修改时间相同时取文件名排序最后的一份）。",
    en="When a student hands in several notebooks of one lesson, all are graded and reported; "
       "the most recently modified one counts (equal times: the last file name in sorted order).")


def content_lesson(submission: Submission, registry: dict) -> str | None:
    """The lesson a readable notebook's content is: its metadata, else its exercise cells."""
    read_submission(submission)
    if submission.problem is not None:
        return None
    return submission.metadata_lesson or lesson_from_grade_ids(submission, registry)


def _modified(submission: Submission) -> float:
    try:
        return os.lstat(submission.path).st_mtime
    except OSError:
        return 0.0


def examine(submissions: list[Submission], registry: dict, lesson: str | None = None) -> None:
    """Read every submission and mark what concerns more than one notebook.

    * a notebook whose content is another lesson than its file name says gets a
      warning and a flag (it is still graded, as the lesson its content is);
    * of several notebooks of one lesson from one student, the most recently
      modified counts (:data:`DUPLICATE_RULE`); every one of them gets a warning
      naming the others, and ``counted`` is False on all but one.
    """
    groups: dict[tuple[str, str], list[Submission]] = defaultdict(list)
    for submission in submissions:
        found = content_lesson(submission, registry)
        named = lesson_from_file_name(submission.path)
        if found is not None and named is not None and found != named:
            message = Message(
                zh="文件名 {name} 表明这是第 {named} 课，但内容是第 {found} 课的笔记本：按内容作为第 "
                   "{found} 课评分。请确认提交的是想交的笔记本。",
                en="The file name {name} says lesson {named}, but the notebook's content is "
                   "lesson {found}: it is graded as lesson {found}. Please check that this is "
                   "the notebook you meant to hand in.",
                name=submission.path.name, named=named, found=found)
            submission.warnings.append((NAME_MISMATCH, message))
            submission.flags.append(message)
        which = found or lesson
        if lesson is not None and which != lesson:
            continue  # another lesson than the one graded: refused on its own, never a duplicate
        if which is not None and submission.problem is None:
            groups[(submission.student, which)].append(submission)
    for (student, which), group in groups.items():
        if len(group) < 2:
            continue
        chosen = max(group, key=lambda s: (_modified(s), s.path.name, str(s.path)))
        for submission in group:
            submission.counted = submission is chosen
            others = ", ".join(sorted(s.path.name for s in group if s is not submission))
            when = datetime.datetime.fromtimestamp(_modified(chosen)).strftime("%Y-%m-%d %H:%M")
            if submission is chosen:
                message = Message(
                    zh="{student} 交了 {n} 份第 {lesson} 课的笔记本（另有 {others}）。全部已评分，"
                       "计分的是这一份（最后修改于 {when}）。{rule}",
                    en="{student} handed in {n} notebooks of lesson {lesson} (also {others}). All "
                       "were graded; this one counts (last modified {when}). {rule}",
                    student=student, n=len(group), lesson=which, others=others, when=when,
                    rule=DUPLICATE_RULE)
            else:
                message = Message(
                    zh="{student} 交了 {n} 份第 {lesson} 课的笔记本。这一份已评分但不计分（得分记为 0）；"
                       "计分的是 {chosen}（最后修改于 {when}）。{rule}",
                    en="{student} handed in {n} notebooks of lesson {lesson}. This one was graded "
                       "but does not count (its points are recorded as 0); {chosen} counts (last "
                       "modified {when}). {rule}",
                    student=student, n=len(group), lesson=which, chosen=chosen.path.name,
                    when=when, rule=DUPLICATE_RULE)
            submission.warnings.append((DUPLICATE, message))


# ---------------------------------------------------------------------------
# Forbidden shortcuts, judged from the source

def python_source(source: str) -> str:
    """A cell's source as plain Python (IPython magics and ``!`` commands translated)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def import_aliases(sources: list[str]) -> dict[str, str]:
    """Names bound by import statements anywhere in the notebook: ``F`` → ``torch.nn.functional``."""
    from ..course.exercises.core import aliases_in

    aliases: dict[str, str] = {}
    for source in sources:
        try:
            tree = ast.parse(python_source(source))
        except (SyntaxError, ValueError):
            continue
        for name, target in aliases_in(tree).items():
            if name != target:
                aliases[name] = target
            else:
                aliases.setdefault(name, target)
    return aliases


def shortcuts_in(source: str | None, forbidden, aliases: dict[str, str]) -> list[str]:
    """Forbidden names a piece of code uses, resolving imports made in any cell.

    Uses :func:`mlp_course.course.exercises.find_forbidden` (which also flags ``eval``,
    ``exec``, ``__import__`` and computed ``getattr``) and, in addition, names
    whose import sits in another cell of the notebook.
    """
    from ..course.exercises.core import find_forbidden, is_forbidden, names_used

    if not source or not forbidden:
        return []
    code = python_source(source)
    found = set(find_forbidden(code, forbidden))
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        try:
            import textwrap

            tree = ast.parse(textwrap.dedent(code))
        except (SyntaxError, ValueError):
            return sorted(found)
    # an import in another cell only explains names this code does not bind itself
    outside = {name: target for name, target in aliases.items()
               if name not in _bound_names(tree)}
    found.update(name for name in names_used(tree, outside) if is_forbidden(name, forbidden))
    return sorted(found)


def _bound_names(tree: ast.AST) -> set[str]:
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return bound


def library_object(description: dict, forbidden) -> str | None:
    """The dotted name of a captured callable that is a library's, not the learner's.

    ``softmax = torch.softmax`` done indirectly still yields a function whose
    module is ``torch``; anything from ``mlp_course`` itself is the course's
    own answer to some exercise.
    """
    if not forbidden or not description.get("callable"):
        return None
    module = str(description.get("module") or "")
    if module in ("", "__main__", "builtins"):
        return None
    qualname = str(description.get("qualname") or "")
    dotted = f"{module}.{qualname}" if qualname else module
    from ..course.exercises.core import is_forbidden

    if is_forbidden(dotted, forbidden) or is_forbidden(module, forbidden) or module == "mlp_course" \
            or module.startswith("mlp_course."):
        return dotted
    return None
