"""The warm-started notebook kernels of the test run (``tests/warm_kernels.py``) behave as
new kernels do: their own folder, environment and random numbers, nothing of the course
imported, interrupts that arrive, and no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not hasattr(os, "fork") or sys.platform != "linux",
                                 reason="warm kernels are forked (Linux only)")]


@pytest.fixture(scope="module")
def zygote():
    import warm_kernels

    process = warm_kernels.Zygote()
    yield process
    process.close()
    assert process.process.returncode == 0


def start(zygote, cwd, **env):
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    class Specs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return KernelSpec(resource_dir=ipykernel.kernelspec.RESOURCES,
                              **zygote.kernel_dict())

    manager = KernelManager(kernel_name="warm", kernel_spec_manager=Specs())
    manager.start_kernel(cwd=str(cwd), **env)
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return manager, client


def run(client, code: str) -> tuple[str, dict]:
    printed = []

    def output(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    reply = client.execute_interactive(code, timeout=30, output_hook=output)
    return "".join(printed), reply["content"]


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in found.split()]


def test_a_kernel_gets_its_own_folder_environment_and_random_numbers(zygote, tmp_path):
    first_folder, second_folder = tmp_path / "one", tmp_path / "two"
    first_folder.mkdir()
    second_folder.mkdir()
    code = ("import os, sys, random, numpy, torch\n"
            "print(os.getcwd(), os.environ.get('WARM_TEST'), 'mlp_course' in sys.modules,"
            " torch.rand(1).item(), numpy.random.randint(1 << 30), random.random())")
    printed = []
    for folder in (first_folder, second_folder):
        manager, client = start(zygote, folder, env=dict(os.environ, WARM_TEST=folder.name))
        try:
            text, reply = run(client, code)
        finally:
            client.stop_channels()
            manager.shutdown_kernel()
        assert reply["status"] == "ok", reply
        printed.append(text.split())
    for folder, words in zip((first_folder, second_folder), printed):
        # the course's own package is imported by the notebook, not in advance
        assert words[:3] == [str(folder), folder.name, "False"], words
    # PyTorch's, numpy's and Python's generators are seeded anew, as in a new process
    assert [a != b for a, b in zip(printed[0][3:], printed[1][3:])] == [True] * 3, printed


def test_an_interrupt_reaches_the_kernel_and_shutting_down_leaves_no_process(zygote, tmp_path):
    manager, client = start(zygote, tmp_path)
    try:
        client.execute("import time\ntime.sleep(60)")
        time.sleep(0.5)
        manager.interrupt_kernel()
        reply = client.get_shell_msg(timeout=20)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        # the kernel lives on (an execute request sent now could be aborted: ipykernel
        # drops what was queued behind the interrupted cell)
        assert client.kernel_info(reply=True, timeout=20)["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        manager.shutdown_kernel()
    deadline = time.monotonic() + 10
    while children(zygote.process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert children(zygote.process.pid) == []


def test_a_killed_launcher_takes_its_kernel_with_it(zygote, tmp_path):
    manager, client = start(zygote, tmp_path)
    try:
        kernels = children(zygote.process.pid)
        assert len(kernels) == 1
        launcher = manager.provisioner.process
        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait(10)
        deadline = time.monotonic() + 10
        while children(zygote.process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert children(zygote.process.pid) == []
        with pytest.raises(ProcessLookupError):
            os.kill(kernels[0], 0)
    finally:
        client.stop_channels()
        manager.cleanup_resources()


def test_the_zygote_and_its_kernels_end_when_the_test_worker_does(tmp_path):
    """The worker holds the zygote's standard input; a worker that dies closes it."""
    import warm_kernels

    zygote = warm_kernels.Zygote()     # its own: this one is ended on purpose
    manager, client = start(zygote, tmp_path)
    try:
        kernels = children(zygote.process.pid)
        zygote.process.stdin.close()
        assert zygote.process.wait(20) == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(kernels[0]):
            time.sleep(0.1)
        assert not _alive(kernels[0])
    finally:
        client.stop_channels()
        zygote.close()      # first: its kernels end with it, and then their launchers
        manager.provisioner.process.wait(10)
        manager.cleanup_resources()


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
