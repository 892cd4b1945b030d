"""How fast is the from-scratch numpy MLP, next to PyTorch and next to numpy's own matmul?

从零实现的 numpy MLP 有多快？与 PyTorch 以及 numpy 自身的矩阵乘法比较。

Run from the repository root::

    python benchmarks/bench_mlp.py            # full run, about a minute
    python benchmarks/bench_mlp.py --quick    # smoke run, a few seconds
    python benchmarks/bench_mlp.py --steps    # part 1 only, to repeat it on a busy machine

Part 1 times one SGD step (forward + backward + update, float32) of
``mlp_course.MLP`` and of the same model in PyTorch (``model.to_torch()``,
``torch.optim.SGD``), with PyTorch limited to the number of threads numpy's BLAS
uses. It also times the step's matrix products alone with ``np.matmul`` on
contiguous operands, each in its own block but in the same rounds as the steps
(so that a burst of load on the machine hits both); the step's FLOP/s divided
by those products' FLOP/s says how much of the step is matmul (1.0 = no
overhead at all).

Part 2 trains both implementations on the 8x8 digits with the same initial
weights, batches and learning rate, and prints test accuracy and wall time.

Every timing is repeated after a warm-up; the step table is printed twice from
the same samples, once with the median and once with the fastest run (steadier
on a busy machine), so the step/mm ratios of both come from one run (``--stat``
prints only one of them). The load average is printed before and after the step
timings: other processes on the machine slow the step (single-threaded numpy
calls between multi-threaded BLAS calls) more than the products timed alone.
Nothing here asserts a speed: the script prints, and exits 0.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

# numpy and torch are imported in main(), after --threads has set the thread
# count: BLAS libraries read it once, when they load
np = load_digits = MLP = None
ROOT = Path(__file__).resolve().parent.parent

ARCHITECTURES = ([784, 256, 10], [64, 128, 10])
BATCHES = (16, 64, 256, 1024)
LR = 1e-3    # small, so that repeating a step on one batch stays finite


def blas_threads() -> tuple[int, str]:
    """Number of threads numpy's BLAS uses, and where that number came from."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        blas = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
        if blas:
            return int(blas[0]["num_threads"]), f"{blas[0]['internal_api']} (threadpoolctl)"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), var
    return os.cpu_count() or 1, "os.cpu_count()"


STATISTICS = ("median", "min")


def summary(times) -> dict:
    """The median and the fastest of repeated timings."""
    return {"median": float(np.median(times)), "min": float(np.min(times))}


def interleaved_times(fns: dict, repeats: int, warmup: int, rounds: int = 5,
                      pause: float = 0.2, after: dict | None = None) -> dict:
    """Time per function (see summary), in alternating blocks so background load hits all alike.

    numpy's BLAS threads and PyTorch's OpenMP threads both keep spinning for a
    while after their last call; on a machine with few cores they would slow
    each other down. Each block of ``fns`` therefore starts after a pause and a
    warm-up. The functions of ``after`` are timed in every round too, one block
    each after one pause (they share one kind of threads, numpy's).
    """
    after = after or {}
    samples = {name: [] for name in (*fns, *after)}
    per_round = max(1, repeats // rounds)

    def block(name, fn):
        for _ in range(warmup):
            fn()
        for _ in range(per_round):
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)

    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(pause)
            block(name, fn)
        time.sleep(pause if after else 0)
        for name, fn in after.items():
            block(name, fn)
    return {name: summary(values) for name, values in samples.items()}


def step_gemms(sizes, n: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of every matrix product in one training step of an MLP."""
    shapes = []
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes.append((n, fan_in, fan_out))        # forward  z = a @ W.T
        shapes.append((fan_out, n, fan_in))        # backward dW = delta.T @ a
        if l > 0:
            shapes.append((n, fan_out, fan_in))    # backward da = delta @ W (not for X)
    return shapes


def gemm_calls(shapes, rng) -> list:
    """One np.matmul call per shape, on contiguous float32 operands, writing into ``out``."""
    calls = []
    for m, k, n in shapes:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        out = np.empty((m, n), dtype=np.float32)
        calls.append(lambda a=a, b=b, out=out: np.matmul(a, b, out=out))
    return calls


def torch_step_fn(torch_model, X, y, lr):
    import torch

    optimiser = torch.optim.SGD(torch_model.parameters(), lr=lr)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        optimiser.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(torch_model(X_t), y_t)
        loss.backward()
        optimiser.step()
        return loss.item()
    return step


def bench_steps(quick: bool) -> list[dict]:
    repeats, warmup = (2, 1) if quick else (60, 10)
    rng = np.random.default_rng(0)
    rows = []
    for sizes in ARCHITECTURES:
        for n in BATCHES:
            model = MLP(sizes, seed=0, dtype=np.float32)
            torch_model = model.to_torch()
            X = rng.standard_normal((n, sizes[0]), dtype=np.float32)
            y = rng.integers(0, sizes[-1], n)
            shapes = step_gemms(sizes, n)
            flops = sum(2 * m * k * p for m, k, p in shapes)
            products = {f"matmul {i}": call
                        for i, call in enumerate(gemm_calls(shapes, rng))}
            # the products are timed alone, but in the same rounds as the steps
            times = interleaved_times(
                {"numpy": lambda: model.train_step(X, y, LR),
                 "torch": torch_step_fn(torch_model, X, y, LR)},
                repeats, warmup, rounds=1 if quick else 3, pause=0.01 if quick else 0.2,
                after=products)
            matmul = {stat: sum(times[name][stat] for name in products)
                      for stat in STATISTICS}
            rows.append(dict(sizes=sizes, n=n, numpy=times["numpy"], torch=times["torch"],
                             matmul=matmul, flops=flops))
    return rows


def print_step_table(rows: list[dict], stat: str) -> None:
    label = "median" if stat == "median" else "fastest-run"
    print(f"\none SGD step, float32: {label} time per step")
    print(f"{'architecture':<13}{'N':>6}{'numpy us':>10}{'torch us':>10}{'np/torch':>10}"
          f"{'matmul us':>11}{'step GF/s':>11}{'mm GF/s':>9}{'step/mm':>9}")
    for r in rows:
        arch = "-".join(map(str, r["sizes"]))
        numpy_time, torch_time = r["numpy"][stat], r["torch"][stat]
        matmul_time = r["matmul"][stat]
        step_rate = r["flops"] / numpy_time / 1e9
        matmul_rate = r["flops"] / matmul_time / 1e9
        print(f"{arch:<13}{r['n']:>6}{numpy_time * 1e6:>10.1f}{torch_time * 1e6:>10.1f}"
              f"{numpy_time / torch_time:>10.2f}{matmul_time * 1e6:>11.1f}"
              f"{step_rate:>11.1f}{matmul_rate:>9.1f}{step_rate / matmul_rate:>9.0%}")


def standardise(X_train, X_test):
    """Centre and scale every pixel with the training split's mean and std (std 0 -> 1)."""
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1).astype(X_train.dtype)
    return (X_train - mean) / std, (X_test - mean) / std


def train_torch(torch_model, X, y, epochs: int, batch_size: int, lr: float, seed: int):
    """Plain SGD in PyTorch over the batches MLP.fit uses: permutations of default_rng(seed)."""
    import torch

    optimiser = torch.optim.SGD(torch_model.parameters(), lr=lr)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
    order_rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = torch.from_numpy(order_rng.permutation(len(y)))
        for first in range(0, len(y), batch_size):
            rows = order[first:first + batch_size]
            optimiser.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(torch_model(X_t[rows]), y_t[rows]).backward()
            optimiser.step()


def train_digits(quick: bool) -> dict:
    """Train numpy and PyTorch from the same initial weights on the same batches, per seed."""
    import torch

    sizes, batch_size, lr = [64, 256, 10], 16, 0.1
    epochs, seeds = (2, [0]) if quick else (20, [0, 1, 2, 3, 4])
    X_train, y_train = load_digits("train", dtype=np.float32)
    X_test, y_test = load_digits("test", dtype=np.float32)
    X_train, X_test = standardise(X_train, X_test)

    results = {"numpy": {"accuracy": [], "time": []}, "torch": {"accuracy": [], "time": []}}
    largest_gap = 0.0
    for seed in seeds:
        model = MLP(sizes, seed=seed, dtype=np.float32)
        torch_model = model.to_torch()

        start = time.perf_counter()
        model.fit(X_train, y_train, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
        results["numpy"]["time"].append(time.perf_counter() - start)
        results["numpy"]["accuracy"].append(model.accuracy(X_test, y_test))

        start = time.perf_counter()
        train_torch(torch_model, X_train, y_train, epochs, batch_size, lr, seed)
        results["torch"]["time"].append(time.perf_counter() - start)
        with torch.no_grad():
            predicted = torch_model(torch.from_numpy(X_test)).argmax(dim=1).numpy()
        results["torch"]["accuracy"].append(float(np.mean(predicted == y_test)))
        largest_gap = max(largest_gap, *(
            float(np.max(np.abs(W - linear.weight.detach().numpy())))
            for W, linear in zip(model.W, torch_model[0::2])))

    print(f"\ndigits {'-'.join(map(str, sizes))} relu, standardised pixels, {epochs} epochs, "
          f"batch {batch_size}, lr {lr}, float32; seeds {seeds}, each seed giving both the "
          "same initial weights and batches")
    print(f"{'implementation':<16}{'test accuracy':>14}{'min':>8}{'max':>8}{'wall time s':>13}")
    for name, label in (("numpy", "numpy MLP"), ("torch", "PyTorch")):
        accuracy = np.array(results[name]["accuracy"])
        print(f"{label:<16}{accuracy.mean():>14.2%}{accuracy.min():>8.2%}{accuracy.max():>8.2%}"
              f"{np.mean(results[name]['time']):>13.2f}")
    print(f"largest |W_numpy - W_torch| after training: {largest_gap:.1e} "
          "(float32 rounding, grown over the run)")
    return results


def main(argv=None) -> int:
    global np, load_digits, MLP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="few repeats and epochs, one thread: checks that everything runs")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for numpy's BLAS and for torch (default: BLAS's own "
                             "default; 1 with --quick)")
    parser.add_argument("--steps", action="store_true",
                        help="time the SGD step only (part 1), not the digits training")
    parser.add_argument("--stat", choices=("median", "min"), default=None,
                        help="print only this summary of the repeated timings "
                             "(default: both, from the same run)")
    args = parser.parse_args(argv)
    threads = 1 if args.quick and args.threads is None else args.threads
    if threads is not None:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)

    import numpy
    import torch

    sys.path.insert(0, str(ROOT))
    from mlp_course.nn.data import load_digits as loader
    from mlp_course.nn.mlp import MLP as model_class
    np, load_digits, MLP = numpy, loader, model_class

    threads, source = blas_threads()
    torch.set_num_threads(threads)
    print(f"numpy {np.__version__}, torch {torch.__version__}, python "
          f"{platform.python_version()}, {platform.machine()}")
    print(f"threads: numpy BLAS {threads} (from {source}), torch {torch.get_num_threads()}")
    load = load_average()
    if load > 0.5:
        print(f"note: load average {load:.1f} before starting; other processes on this "
              "machine make the timings noisy")
    if args.quick:
        print("--quick: few repeats, one thread, figures are rough")

    rows = bench_steps(args.quick)
    print(f"\nload average (1 min): {load:.1f} before the step timings, "
          f"{load_average():.1f} after them")
    for stat in ([args.stat] if args.stat else STATISTICS):
        print_step_table(rows, stat)
    if not args.steps:
        train_digits(args.quick)
    return 0


def load_average() -> float:
    """The one-minute load average, 0.0 where the system does not report one."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


if __name__ == "__main__":
    sys.exit(main())
