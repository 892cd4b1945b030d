"""How ``digits.npz`` was made: a one-off conversion, not used at run time.

``digits.npz`` 的生成方法：只运行一次的转换脚本，课程运行时不需要它。

The 8x8 handwritten digits (1797 images) come from the copy of the UCI
"Optical Recognition of Handwritten Digits" test set that scikit-learn bundles
(see ``DIGITS_LICENSE.txt``). This script reads that copy through
``sklearn.datasets.load_digits`` (no network), keeps the pixel counts 0..16
as uint8, and stores a fixed stratified 80/20 train/test split as row indices,
so the course needs neither scikit-learn nor a random generator to reproduce
the split. Run from the repository root, with scikit-learn installed::

    python mlp_course/nn/digits/make_digits.py

Arrays in the file:

- ``images``      (1797, 64) uint8, pixel counts 0..16, row-major 8x8
- ``labels``      (1797,)    uint8, digit 0..9
- ``train_index`` (1438,)    int64, sorted rows of the training split
- ``test_index``  (359,)     int64, sorted rows of the test split
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TEST_FRACTION = 0.2
SPLIT_SEED = 0


def main() -> None:
    from sklearn.datasets import load_digits as sklearn_load_digits

    from mlp_course.nn.data import _split_indices

    bunch = sklearn_load_digits()
    images = bunch.data.astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    # the float copy in scikit-learn holds whole counts; converting must not change them
    if not np.array_equal(images, bunch.data) or images.max() > 16:
        raise SystemExit("unexpected pixel values in the source data")
    train_index, test_index = _split_indices(labels, TEST_FRACTION, SPLIT_SEED, True)
    target = HERE / "digits.npz"
    np.savez_compressed(target, images=images, labels=labels,
                        train_index=train_index, test_index=test_index)
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes()
                            + labels.tobytes()).hexdigest()
    print(f"wrote {target.name}: {images.shape[0]} images, "
          f"{train_index.size} train / {test_index.size} test, "
          f"sha256(images+labels) = {digest}")


if __name__ == "__main__":
    main()
