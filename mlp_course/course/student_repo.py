"""Student-only git source for nbgitpuller: one language, lessons and package, no solutions.

学生版 git 仓库：一种语言的学生笔记本和课程包，不含答案，供 nbgitpuller 拉取。

``python -m mlp_course student-repo --lang zh|en [--out DIR] [--branch NAME]
[--from-release ZIP] [--hub URL --repo-url URL]``

* The content is the class release of that language (the same archive
  ``release --lang`` writes: student notebooks, the package, requirements and a
  how-to), plus ``binder/`` so that the branch also runs on Binder.
* It is committed to branch ``student-<lang>`` of a bare repository (default
  ``release/student-repo.git``), ready to be pushed to any git host. Each run adds
  one commit on top of the branch, never rewrites it: nbgitpuller merges new
  commits into what students already pulled and keeps their edits.
* Before committing, the tree is checked: no ``solutions`` folder, no solution
  region (``### BEGIN SOLUTION``), no bilingual source notebook. A failing check
  commits nothing.
* ``nbgitpuller_link`` writes the link students click on a hub:
  ``<hub>/hub/user-redirect/git-pull?repo=...&branch=...&targetpath=...&urlpath=...``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import urlencode

from .syllabus import COURSE, ROOT, checkout
from .notebooks import BEGIN, LANG_TAG
from ..i18n import (LANGUAGES, CourseValueError, get_language, language, require_language,
                    text)

BINDER = ROOT / "binder"
# a fixed author, so that the same material gives the same tree on every machine
IDENTITY = {"GIT_AUTHOR_NAME": "mlp-course", "GIT_AUTHOR_EMAIL": "mlp-course@localhost",
            "GIT_COMMITTER_NAME": "mlp-course", "GIT_COMMITTER_EMAIL": "mlp-course@localhost"}


def default_branch(lang: str) -> str:
    return f"student-{lang}"


def target_folder(lang: str) -> str:
    """The folder a student's copy lands in, inside their home on the hub."""
    return f"mlp-course-{lang}"


def nbgitpuller_link(hub: str, repo_url: str, lang: str, branch: str | None = None,
                     lesson: str | None = None) -> str:
    """The link that pulls (or updates) the course into a student's home and opens a lesson.

    生成 nbgitpuller 链接：学生点击后，课程被拉取（或更新）到自己的主目录并打开一课。

    >>> nbgitpuller_link("https://hub.example.edu", "https://git.example.edu/c.git", "en")
    'https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgit.example.edu%2Fc.git&branch=student-en&targetpath=mlp-course-en&urlpath=lab%2Ftree%2Fmlp-course-en%2Flessons%2Fen%2F00_start_here.ipynb'
    """
    require_language(lang)
    lesson = lesson or COURSE[0].id
    folder = target_folder(lang)
    query = urlencode({
        "repo": repo_url,
        "branch": branch or default_branch(lang),
        "targetpath": folder,
        "urlpath": f"lab/tree/{folder}/lessons/{lang}/{lesson}.ipynb",
    })
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def solution_leaks(tree: Path) -> list[str]:
    """Every reason the folder is not student-only material (empty when it is).

    列出文件夹中所有不属于学生材料的内容（答案文件夹、答案代码、双语源笔记本）。
    """
    leaks = []
    for path in sorted(tree.rglob("*")):
        relative = path.relative_to(tree)
        if ".git" in relative.parts:
            continue
        if "solutions" in relative.parts and path.is_dir():
            leaks.append(text(zh="答案文件夹 {path}", en="a solutions folder {path}",
                              path=relative.as_posix()))
            continue
        if not path.is_file() or path.suffix != ".ipynb":
            continue
        content = path.read_text(encoding="utf-8", errors="replace")
        try:
            cells = json.loads(content).get("cells", [])
        except ValueError:
            cells = []
        tags = {tag for cell in cells for tag in cell.get("metadata", {}).get("tags", [])}
        if all(LANG_TAG[lang] in tags for lang in LANGUAGES):
            leaks.append(text(zh="双语源笔记本 {path}", en="a bilingual source notebook {path}",
                              path=relative.as_posix()))
        # the raw text too: a notebook that is not valid JSON still must not carry answers
        if BEGIN in content:
            leaks.append(text(zh="含答案的笔记本 {path}", en="a notebook with solutions {path}",
                              path=relative.as_posix()))
    return leaks


def _git(args: list[str], repo: Path, env: dict | None = None, **kwargs) -> str:
    result = subprocess.run(["git", f"--git-dir={repo}", *args], capture_output=True, text=True,
                            env={**os.environ, **IDENTITY, **(env or {})}, **kwargs)
    if result.returncode != 0:
        raise CourseValueError(zh="git {command} 失败：{error}", en="git {command} failed: {error}",
                               command=args[0], error=result.stderr.strip())
    return result.stdout.strip()


def unpack_release(archive: Path, lang: str, into: Path) -> Path:
    """Unpack a release archive; return its top folder (where its README is)."""
    try:
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(into)
    except (OSError, zipfile.BadZipFile) as error:
        raise CourseValueError(zh="无法读取发布包 {path}：{error}",
                               en="Cannot read the release archive {path}: {error}",
                               path=archive, error=error) from None
    tops = [path for path in into.iterdir() if path.is_dir()]
    if len(tops) != 1 or not (tops[0] / "lessons" / lang).is_dir():
        raise CourseValueError(
            zh="{path} 不是 {lang} 语言的发布包（应有一个顶层文件夹，内含 lessons/{lang}/）。",
            en="{path} is not a release of language {lang} (expected one top folder "
               "holding lessons/{lang}/).", path=archive, lang=lang)
    return tops[0]


def student_tree(lang: str, into: Path, release_archive: Path | None = None) -> Path:
    """Lay out the student material of ``lang`` in a new folder; return that folder."""
    if release_archive is None:
        from .publish import release

        release_archive = release(lang, into / "release.zip")
    top = unpack_release(release_archive, lang, into / "unpacked")
    if BINDER.is_dir() and not (top / "binder").exists():
        shutil.copytree(BINDER, top / "binder")
    for cache in top.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    return top


def commit_tree(tree: Path, repo: Path, branch: str, message: str) -> tuple[str, bool]:
    """Commit the folder's files as the next commit of ``branch``; return (commit, changed).

    The branch only grows (the previous tip is the parent), so students' copies
    merge each update.
    """
    if not (repo / "HEAD").exists():
        repo.mkdir(parents=True, exist_ok=True)
        _git(["init", "--quiet", "--bare", f"--initial-branch={branch}"], repo)
    with tempfile.TemporaryDirectory() as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index"), "GIT_WORK_TREE": str(tree)}
        _git(["add", "--all", "--force", "."], repo, env=env, cwd=tree)
        new_tree = _git(["write-tree"], repo, env=env)
    try:
        parent = _git(["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], repo)
    except CourseValueError:
        parent = ""
    if parent and _git(["rev-parse", f"{parent}^{{tree}}"], repo) == new_tree:
        return parent, False
    commit = _git(["commit-tree", new_tree, *(["-p", parent] if parent else []), "-m", message],
                  repo)
    _git(["update-ref", f"refs/heads/{branch}", commit, *([parent] if parent else [])], repo)
    return commit, True


def build_student_repo(lang: str, repo: Path, branch: str | None = None,
                       release_archive: Path | None = None) -> tuple[str, bool]:
    """Publish the student material of ``lang`` as the next commit of its branch.

    把一种语言的学生材料提交为学生分支的下一个提交；返回 (提交号, 是否有变化)。
    """
    require_language(lang)
    if shutil.which("git") is None:
        raise CourseValueError(zh="需要 git：请先安装 git。", en="git is needed: install git first.")
    branch = branch or default_branch(lang)
    with tempfile.TemporaryDirectory() as scratch:
        tree = student_tree(lang, Path(scratch), release_archive)
        leaks = solution_leaks(tree)
        if leaks:
            raise CourseValueError(zh="学生材料中不能有答案，未提交：{leaks}",
                                   en="Student material must hold no solutions; nothing "
                                      "committed: {leaks}", leaks="; ".join(leaks))
        message = text(zh="课程材料（{lang}）", en="Course material ({lang})", lang=lang)
        return commit_tree(tree, repo, branch, message)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlp_course student-repo",
        description="Student-only git branch for nbgitpuller / 供 nbgitpuller 使用的学生版分支")
    parser.add_argument("--lang", choices=list(LANGUAGES), default=None,
                        help="language of the material / 材料的语言")
    parser.add_argument("--out", type=Path, default=None,
                        help="bare git repository to commit to (default: release/student-repo.git "
                             "in the course's checkout) / 提交到的裸仓库（默认：课程仓库中的 "
                             "release/student-repo.git）")
    parser.add_argument("--branch", default=None, help="branch (default student-<lang>) / 分支")
    parser.add_argument("--from-release", type=Path, default=None,
                        help="use this release archive instead of packing one / 使用已有的发布包")
    parser.add_argument("--hub", default=None, help="hub address, to print the link / 集线器地址")
    parser.add_argument("--repo-url", default=None,
                        help="where students' servers fetch the branch from / 学生服务器拉取的地址")
    args = parser.parse_args(argv)
    lang = args.lang or get_language()
    out = args.out or checkout("student-repo") / "release" / "student-repo.git"
    branch = args.branch or default_branch(lang)
    with language(lang):
        commit, changed = build_student_repo(lang, out, branch, args.from_release)
        if changed:
            print(text(zh="已提交 {commit} 到 {repo} 的分支 {branch}。",
                       en="Committed {commit} to branch {branch} of {repo}.",
                       commit=commit[:12], repo=out, branch=branch))
        else:
            print(text(zh="分支 {branch} 已是最新（{commit}），没有新提交。",
                       en="Branch {branch} is up to date ({commit}); nothing committed.",
                       commit=commit[:12], branch=branch))
        print(text(zh="推送到学生能访问的 git 服务器：git --git-dir={repo} push <远程仓库> {branch}",
                   en="Push it where students' servers can fetch it: "
                      "git --git-dir={repo} push <remote> {branch}", repo=out, branch=branch))
        if args.hub and args.repo_url:
            print(text(zh="nbgitpuller 链接：{link}", en="nbgitpuller link: {link}",
                       link=nbgitpuller_link(args.hub, args.repo_url, lang, branch)))
    return 0
