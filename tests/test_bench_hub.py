"""``benchmarks/bench_hub.py`` measures what one learner costs a hub: a JupyterLab
server and a kernel that ran a lesson, next to a bare kernel, all in one run.

(Apart from ``test_hub.py`` so that the two run on different test workers.)
"""

from __future__ import annotations

import json
import sys

import pytest

from mlp_course.course.syllabus import ROOT


@pytest.mark.slow
def test_the_hub_benchmark_measures_a_lesson_against_a_bare_kernel(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_hub
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    out = tmp_path / "bench.json"
    assert bench_hub.main(["--lang", "en", "--lessons", "01", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    lesson, reference, server = figures["lessons"][0], figures["reference"], figures["server"]
    assert lesson["lesson"] == "01_softmax"
    # a kernel that imported numpy, torch and matplotlib and ran a lesson holds far more
    # than a bare one, and spent CPU time doing it
    assert lesson["peak_rss"] > 2 * reference["peak_rss"] and lesson["cpu"] > 0.1
    assert 0 < lesson["uss"] <= lesson["peak_rss"]
    assert server["peak_rss"] > reference["peak_rss"]
    assert figures["per_learner_peak_mb"] == pytest.approx(server["peak_rss"] + lesson["peak_rss"])
