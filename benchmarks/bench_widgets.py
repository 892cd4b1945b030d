"""How long a widget's kernel takes per slider event, next to a full redraw of the same figure.

每个控件处理一次滑块事件在内核中花费的时间，与同一张图完整重画一次的时间对比。

    python benchmarks/bench_widgets.py            # every widget, 40 events each
    python benchmarks/bench_widgets.py --events 15 --lang en

Part 1 moves each widget's controls through a sweep of values, one event at a
time, outside an event loop: every event computes the numbers and draws the
picture (no event is coalesced), so the figures are the cost of one drawn event.
Between two events, the reference — what the widgets did before: clear the axes,
draw everything again (layout included) and encode the PNG with the default
settings — runs on a second copy of the same widget with the same numbers. The
ratio `event/full` compares the two medians measured in the same run, so load on
the machine moves both. `cpu ms` is the median processor time of an event (this
process's, all threads): waiting for a busy machine's cores does not count in it.

Part 2 sends each slider widget a burst of events at 60 per second inside a
running asyncio loop (as a dragged slider does in a kernel) and counts the
pictures drawn: a draw happens at most every `DRAW_INTERVAL` seconds, always of
the latest value.

It asserts nothing about speed and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402


def _sweep(low: float, high: float, count: int) -> list[float]:
    """Values a dragged slider passes through: there and back, no two equal in a row."""
    half = max(2, count // 2)
    there = list(np.round(np.linspace(low, high, half), 3))
    return (there + there[::-1][1:])[:count] if count > half else there[:count]


def figure_png(figure) -> bytes:
    """The reference: the whole figure drawn (layout included) and encoded as the widgets
    did before, with the PNG encoder's default settings."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _widgets(events: int):
    """name -> (make widget, events [(control getter, value)], full redraw of a box)."""
    from mlp_course.course.widgets import (backprop, cross_entropy, forward, gradient, nll,
                                           softmax, training)

    def cycle(controls, values):
        return [(controls[index % len(controls)], value) for index, value in enumerate(values)]

    def softmax_full(box):
        softmax.draw_softmax(box.ax, box.view)
        return figure_png(box.figure)

    def nll_full(box):
        nll.draw_nll(box.ax, box.view)
        return figure_png(box.figure)

    def two_axes(module_draw):
        def full(box):
            module_draw(tuple(box.figure.axes), box.view)
            return figure_png(box.figure)
        return full

    def axes_full(module_draw):
        def full(box):
            module_draw(box.axes, box.view)
            return figure_png(box.figure)
        return full

    return {
        "softmax_explorer": (
            softmax.softmax_explorer,
            cycle([lambda b: b.sliders[0], lambda b: b.sliders[1], lambda b: b.temperature],
                  _sweep(-4.0, 4.0, events)), softmax_full),
        "nll_explorer": (
            nll.nll_explorer, cycle([lambda b: b.slider], _sweep(0.02, 0.98, events)), nll_full),
        "cross_entropy_explorer": (
            cross_entropy.cross_entropy_explorer,
            cycle([lambda b: b.p_sliders[0], lambda b: b.q_sliders[1]],
                  _sweep(0.05, 0.95, events)), two_axes(cross_entropy.draw_cross_entropy)),
        "gradient_explorer": (
            gradient.gradient_explorer,
            cycle([lambda b: b.logit_sliders[0], lambda b: b.logit_sliders[2]],
                  _sweep(-5.0, 5.0, events)), two_axes(gradient.draw_gradient)),
        "forward_explorer": (
            forward.forward_explorer,
            cycle([lambda b: b.x1, lambda b: b.x2, lambda b: b.w11], _sweep(-2.9, 2.9, events)),
            axes_full(forward.draw_forward)),
        "backprop_stepper": (
            backprop.backprop_stepper,
            cycle([lambda b: b.step], [int(v) for v in _sweep(0, 5, 11)] * max(1, events // 10)),
            axes_full(backprop.draw_backprop)),
        "training_explorer": (
            training.training_explorer,
            cycle([lambda b: b.epochs], [int(v) for v in np.linspace(10, 300, events) // 10 * 10]),
            axes_full(training.draw_training)),
    }


def _prepare_training(events) -> float:
    """Train every setting the sweep visits beforehand: part 1 times drawing, not training.

    Returns the seconds the training took (each setting is trained once per process)."""
    from mlp_course.course.widgets.training import training_view

    started = time.perf_counter()
    for _, epochs in events:
        training_view(32, 0.5, int(epochs))
    return time.perf_counter() - started


def part1(names, events_per_widget):
    print(f"{'widget':<24}{'events':>7}{'median ms':>11}{'max ms':>9}{'cpu ms':>8}"
          f"{'full ms':>9}{'full max':>9}{'event/full':>11}{'draws':>7}")
    results = {}
    for name, (make, events, full) in _widgets(events_per_widget).items():
        if names and name not in names:
            continue
        box, reference = make(), make()
        reference.painter._draw = lambda: None  # its events only compute the numbers
        if name == "training_explorer":
            trained = _prepare_training(events)
            print(f"{'':<24}(training the {len(events)} settings first took {trained:.2f} s;"
                  " a setting seen before is not trained again)")
        timings, processor, references = [], [], []
        draws_before = box.painter.draws
        for getter, value in events:
            control = getter(box)
            if control.value == value:
                continue
            started, started_cpu = time.perf_counter(), time.process_time()
            control.value = value  # no running loop: the picture is drawn at once
            timings.append(time.perf_counter() - started)
            processor.append(time.process_time() - started_cpu)
            getter(reference).value = value  # the same numbers for the reference
            started = time.perf_counter()
            full(reference)
            references.append(time.perf_counter() - started)
        median, worst = statistics.median(timings) * 1e3, max(timings) * 1e3
        cpu = statistics.median(processor) * 1e3
        full_median, full_worst = statistics.median(references) * 1e3, max(references) * 1e3
        results[name] = (median, worst, full_median)
        print(f"{name:<24}{len(timings):>7}{median:>11.1f}{worst:>9.1f}{cpu:>8.1f}"
              f"{full_median:>9.1f}{full_worst:>9.1f}{median / full_median:>11.2f}"
              f"{box.painter.draws - draws_before:>7}")
    return results


async def _drag(make, getter, values, rate: float):
    box = make()
    control = getter(box)
    busy = []
    original = box.painter._draw

    def timed_draw():
        started = time.perf_counter()
        original()
        busy.append(time.perf_counter() - started)

    box.painter._draw = timed_draw
    draws = box.painter.draws
    handler_times = []
    for value in values:
        started = time.perf_counter()
        control.value = value
        handler_times.append(time.perf_counter() - started)
        await asyncio.sleep(1.0 / rate)
    await asyncio.sleep(box.painter.interval * 2)
    return box, handler_times, busy, box.painter.draws - draws


def part2(names, count: int):
    from mlp_course.course.widgets._figure import DRAW_INTERVAL

    print(f"\nDragging at 60 events/s; at most one picture per {DRAW_INTERVAL * 1e3:.0f} ms, "
          "always of the latest value")
    print(f"{'widget':<24}{'events':>7}{'draws':>7}{'handler median ms':>19}"
          f"{'busy ms/event':>15}{'latest shown':>14}")
    for name, (make, events, _) in _widgets(count).items():
        if (names and name not in names) or name in ("backprop_stepper", "training_explorer"):
            continue
        getter = events[0][0]
        values = _sweep(min(v for _, v in events), max(v for _, v in events), count)
        if name == "nll_explorer":
            values = _sweep(0.05, 0.95, count)
        box, handler_times, busy, draws = asyncio.run(_drag(make, getter, values, 60.0))
        latest = getter(box).value == values[-1] and box.painter.draws > 0
        # handlers that drew at once include their draw; scheduled draws are added
        scheduled = sum(busy) - sum(t for t in handler_times if t > 1e-3)
        total = (sum(handler_times) + max(0.0, scheduled)) * 1e3
        print(f"{name:<24}{len(values):>7}{draws:>7}"
              f"{statistics.median(handler_times) * 1e3:>19.2f}"
              f"{total / len(values):>15.1f}{str(latest):>14}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40, help="events per widget")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--only", nargs="*", default=(), help="widget names")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import mlp_course

    mlp_course.set_language(args.lang)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"language {args.lang}; load average {load:.1f} on {os.cpu_count()} CPUs"
          + ("  (busy machine: compare the ratios, not the milliseconds)" if load > 1 else ""))
    part1(set(args.only), args.events)
    part2(set(args.only), args.events)
    return 0


if __name__ == "__main__":
    sys.exit(main())
