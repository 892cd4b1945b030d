"""Memory and CPU per learner on a hub, as figures a hub admin can plan with.

每位学习者在集线器（JupyterHub）上占用多少内存和 CPU：供管理员规划容量的数字。

A learner on a hub has one Jupyter server and, per open lesson, one kernel. This
script starts both as a hub would (JupyterLab's server on 127.0.0.1; each
lesson's student notebook run cell by cell in its own fresh kernel, as Run All
does) and reads from /proc:

* peak RSS  -- the most memory the process ever held (what a per-user memory
  limit on Kubernetes or systemd must allow);
* USS       -- the memory only this process holds (what each more learner adds
  on one shared machine, where libraries' code pages are shared);
* CPU s     -- user + system CPU seconds the kernel spent running the lesson.

The reference, measured in the same run: a bare Python kernel that ran nothing.

    .venv/bin/python benchmarks/bench_hub.py [--lang zh|en] [--lessons 01 05] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlp_course.course.syllabus import COURSE, get_lesson  # noqa: E402
from mlp_course.i18n import set_language, text  # noqa: E402

MB = 1024 * 1024


def memory(pid: int) -> dict[str, float]:
    """Peak RSS, RSS and USS of a process, in MB (Linux /proc)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    rollup = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        rollup[key] = int(value.split()[0]) * 1024
    kb = lambda field: int(status[field].split()[0]) * 1024  # noqa: E731
    return {"peak_rss": kb("VmHWM") / MB, "rss": kb("VmRSS") / MB,
            "uss": (rollup["Private_Clean"] + rollup["Private_Dirty"]) / MB}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cells(values, widths) -> str:
    """Columns padded by display width (a Chinese character takes two columns)."""
    import unicodedata

    out = []
    for index, (value, width) in enumerate(zip(values, widths)):
        shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in value)
        pad = " " * max(width - shown, 0)
        out.append(value + pad if index == 0 else pad + value)
    return " ".join(out)


WIDTHS = (24, 9, 10, 8, 8, 8, 10)


def _kernel_pid(client) -> int:
    return client.km.provisioner.process.pid


def run_lesson(path: Path | None) -> dict[str, float]:
    """Run a notebook (or nothing, for the reference) in a fresh kernel; measure the kernel."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(str(path), as_version=4) if path else nbformat.v4.new_notebook()
    notebook.cells.insert(0, nbformat.v4.new_code_cell("pass"))
    cwd = str(path.parent) if path else tempfile.gettempdir()
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": cwd}})
    started = time.perf_counter()
    with client.setup_kernel():
        pid = _kernel_pid(client)
        # the kernel is up and idle: what a learner's open lesson costs before Run All
        client.execute_cell(notebook.cells[0], 0)
        before = cpu_seconds(pid)
        idle = memory(pid)
        for index, cell in enumerate(notebook.cells[1:], start=1):
            client.execute_cell(cell, index)
        after = memory(pid)
        cpu = cpu_seconds(pid) - before
    return {"seconds": time.perf_counter() - started, "cpu": cpu, "idle_rss": idle["rss"],
            **after}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_server(lang: str) -> dict[str, float]:
    """A learner's Jupyter server after it served JupyterLab and the lesson folder."""
    from mlp_course.course.lab import server_options

    token = secrets.token_hex(16)
    port = _free_port()
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "JUPYTER_RUNTIME_DIR": scratch, "JUPYTERLAB_WORKSPACES_DIR": scratch}
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
             "--ServerApp.port_retries=0", *server_options(ROOT / "lessons")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 120
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                    break
                except OSError:
                    if time.time() > deadline or process.poll() is not None:
                        raise SystemExit(text(zh="JupyterLab 没有启动（等了 120 秒，或进程已退出）。",
                                              en="JupyterLab did not start (120 s passed, or "
                                                 "its process ended)."))
                    time.sleep(0.2)
            start_seconds = time.perf_counter() - started
            for path in ("/lab", f"/api/contents/{lang}?content=1", "/lab/api/settings",
                         "/api/kernelspecs", f"/api/contents/{lang}/01_softmax.ipynb?content=1"):
                urllib.request.urlopen(f"{base}{path}{'&' if '?' in path else '?'}token={token}",
                                       timeout=60).read()
            return {"start_seconds": start_seconds, "cpu": cpu_seconds(process.pid),
                    **memory(process.pid)}
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument("--lessons", nargs="*", default=None,
                        help="lesson numbers (default: every lesson)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    set_language(args.lang)
    lessons = [get_lesson(key) for key in args.lessons] if args.lessons else list(COURSE)

    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(text(zh="注意：负载 {load:.1f} 高于 CPU 数，时间和 CPU 秒数会偏大。",
                   en="Note: load {load:.1f} exceeds the CPU count; times and CPU seconds "
                      "come out high.", load=load))
    server = measure_server(args.lang)
    reference = run_lesson(None)
    rows = []
    for lesson in lessons:
        figures = run_lesson(lesson.student(args.lang))
        rows.append({"lesson": lesson.id, **figures})

    print(_cells([text(zh="进程", en="process"), text(zh="峰值 MB", en="peak MB"),
                  text(zh="运行后 MB", en="RSS MB"), "USS MB", text(zh="CPU 秒", en="CPU s"),
                  text(zh="用时 秒", en="wall s"), text(zh="峰值/参考", en="peak/ref")], WIDTHS))

    def row_line(name, figures, seconds):
        print(_cells([name, f"{figures['peak_rss']:.0f}", f"{figures['rss']:.0f}",
                      f"{figures['uss']:.0f}", f"{figures['cpu']:.2f}", f"{seconds:.1f}",
                      f"{figures['peak_rss'] / reference['peak_rss']:.1f}"], WIDTHS))

    row_line(text(zh="参考：空内核", en="reference: bare kernel"), reference, reference["seconds"])
    row_line(text(zh="Jupyter 服务器（启动）", en="Jupyter server (start)"), server,
             server["start_seconds"])
    for row in rows:
        row_line(row["lesson"], row, row["seconds"])

    worst = max(rows, key=lambda row: row["peak_rss"])
    per_learner_peak = server["peak_rss"] + worst["peak_rss"]
    per_learner_uss = server["uss"] + max(row["uss"] for row in rows)
    cpu_per_lesson = sum(row["cpu"] for row in rows) / len(rows)
    print()
    print(text(zh="每位学习者（服务器 + 一个内核）：峰值 {peak:.0f} MB（最重的一课：{lesson}）；"
                  "在同一台机器上每多一位学习者约多占 {uss:.0f} MB（USS）。",
               en="Per learner (server + one kernel): peak {peak:.0f} MB (heaviest lesson: "
                  "{lesson}); each more learner on one machine adds about {uss:.0f} MB (USS).",
               peak=per_learner_peak, lesson=worst["lesson"], uss=per_learner_uss))
    print(text(zh="运行一课平均用 {cpu:.1f} CPU 秒：若 N 位学习者在同一分钟内点“全部运行”，"
                  "约需 N × {cpu:.1f} / 60 个 CPU 核。",
               en="Running a lesson takes {cpu:.1f} CPU seconds on average: N learners "
                  "pressing Run All in the same minute need about N × {cpu:.1f} / 60 cores.",
               cpu=cpu_per_lesson))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"lang": args.lang, "load": load, "server": server,
                                         "reference": reference, "lessons": rows,
                                         "per_learner_peak_mb": per_learner_peak,
                                         "per_learner_uss_mb": per_learner_uss,
                                         "cpu_seconds_per_lesson": cpu_per_lesson}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
