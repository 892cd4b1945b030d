"""Shared fixtures: a seeded random generator, PyTorch (imported on demand), tolerances."""

from __future__ import annotations

import numpy as np
import pytest

from mlp_course import i18n

# Agreement with PyTorch expected for each dtype (absolute and relative).
TOLERANCE = {np.float64: 1e-10, np.float32: 1e-5}


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)  # small tensors: threads only add overhead and noise
    return torch


@pytest.fixture(autouse=True)
def _restore_language():
    """A test that calls set_language must not change the language of the next test."""
    saved = i18n._language
    yield
    i18n._language = saved


@pytest.fixture(scope="session")
def assert_close():
    """Compare with a reference (numpy or torch) at the tolerance of our result's dtype."""
    def check(ours, reference):
        ours = np.asarray(ours)
        if hasattr(reference, "detach"):
            reference = reference.detach().cpu().numpy()
        tol = TOLERANCE[ours.dtype.type]
        np.testing.assert_allclose(ours, reference, rtol=tol, atol=tol, equal_nan=True)
    return check


@pytest.fixture(scope="session")
def bilingual_error():
    """Assert ``call()`` raises a course error whose message holds the given pieces in each language."""
    def check(exc_type, call, en=(), zh=()):
        messages = {}
        for lang, needles in (("en", en), ("zh", zh)):
            with i18n.language(lang):
                with pytest.raises(exc_type) as info:
                    call()
                message = str(info.value)
            assert isinstance(info.value, i18n.CourseError), type(info.value)
            for needle in needles:
                assert needle in message, f"{needle!r} missing from the {lang} message: {message}"
            messages[lang] = message
        assert messages["en"] != messages["zh"]
        return messages
    return check


@pytest.fixture(scope="session")
def run_doctests():
    """Run the examples in a module's docstrings; fail if any example's output differs."""
    import doctest

    def run(module):
        finder = doctest.DocTestFinder()
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        tests = [test for test in finder.find(module) if test.examples]
        assert tests, f"{module.__name__} has no examples"
        for test in tests:
            runner.run(test)
        results = runner.summarize(verbose=False)
        assert results.failed == 0, f"{results.failed} example(s) failed in {module.__name__}"
        return results.attempted
    return run
