r"""Mini-batch SGD for :class:`~mlp_course.nn.mlp.MLP`: the fused training step and the loop.

小批量 SGD：融合的一步训练（前向、交叉熵、反向、更新）和训练循环。

:func:`train_step` computes exactly what ``model.loss(X, y)``,
``model.backward()`` and ``model.step(lr)`` compute one after the other (a
test checks that they agree), arranged for speed:

* every result goes into arrays reused from step to step (``out=``), sized for
  the largest batch seen so far, so a step allocates almost nothing; numpy's
  per-call cost matters at these sizes, so the step makes as few calls as it can;
* the bias of a hidden layer is added to k rows at a time (k = 16, 8, 4 or 2,
  whichever divides N) against the bias repeated k times: numpy then runs its
  inner loop N/k times over k·H numbers instead of N times over H;
* the logits are kept class-major, :math:`z_{L-1}^\top` of shape (C, N): the
  softmax reduces over the classes, and numpy reduces over an outer axis of a
  contiguous array several times faster than over a short inner one;
  ``model.z[-1]`` is its transposed view, shape (N, C);
* the softmax-cross-entropy gradient is built in that one (C, N) array:
  :math:`(\mathrm{softmax}(z) - \mathrm{onehot}(y)) / N =
  e^{z - m} \cdot \frac{1}{N \sum e^{z-m}} - \frac1N \mathrm{onehot}(y)`;
* layer 0 skips :math:`\partial L/\partial X`, which training never needs;
* ReLU compares with an array of zeros (numpy's array-array loop is several
  times faster than array-scalar), and its derivative is a 0/1 mask in the
  float dtype (a float-float product is faster than a float-bool one);
* :math:`\partial L/\partial b = \mathbf 1^\top \delta` is a matrix-vector
  product (BLAS), or a sum along the contiguous axis for the class-major output;
* all gradients are views of one flat array, so :math:`\eta\,\partial L/\partial
  \theta` for every parameter is one multiplication before the updates.

Only numpy is imported here.
"""

from __future__ import annotations

import time

import numpy as np

from ..i18n import CourseTypeError, CourseValueError, text
from .losses import _cross_entropy_index
from .validation import check_integer, check_positive_number, describe

__all__ = ["train_step", "fit"]


class _Views:
    """The workspace's arrays cut to one batch size N (cached: most batches share N)."""

    __slots__ = ("z", "a", "da", "mask", "zeros", "z_wide", "bias_wide", "bias_rows",
                 "logits", "logits_t", "grad_t", "grad_flat", "max", "sum", "log", "index",
                 "rows", "ones")

    def __init__(self, space: "_Workspace", n: int):
        def cut(flat, width):
            return flat[:n * width].reshape(n, width)

        self.z = [cut(flat, width) for flat, width in zip(space.z, space.hidden)]
        self.a = [cut(flat, width) for flat, width in zip(space.a, space.hidden)]
        self.da = [cut(flat, width) for flat, width in zip(space.da, space.hidden)]
        self.mask = [cut(flat, width) for flat, width in zip(space.mask, space.hidden)]
        self.zeros = [cut(flat, width) for flat, width in zip(space.zeros, space.hidden)]
        # z + b with b broadcast runs numpy's inner loop once per row of H numbers; k
        # rows side by side (k divides N) against b repeated k times run it N/k times
        k = next(k for k in (16, 8, 4, 2, 1) if n % k == 0)
        self.z_wide = [z.reshape(n // k, k * width) for z, width in zip(self.z, space.hidden)]
        self.bias_wide = [flat[:k * width] for flat, width in zip(space.bias, space.hidden)]
        self.bias_rows = [wide.reshape(k, width)
                          for wide, width in zip(self.bias_wide, space.hidden)]
        classes = space.classes
        self.logits = space.logits[:classes * n].reshape(n, classes)
        self.logits_t = space.logits_t[:classes * n].reshape(classes, n)
        self.grad_flat = space.grad_t[:classes * n]
        self.grad_t = self.grad_flat.reshape(classes, n)
        self.max, self.sum, self.log = space.max[:n], space.sum[:n], space.log[:n]
        self.index, self.rows, self.ones = space.index[:n], space.rows[:n], space.ones[:n]


def _parameter_views(flat: np.ndarray, like: list[np.ndarray], start: int):
    """Views of ``flat`` from ``start`` on, shaped (and ordered in memory) like ``like``."""
    views = []
    for array in like:
        piece = flat[start:start + array.size]
        if array.ndim == 2 and array.flags.f_contiguous and not array.flags.c_contiguous:
            views.append(piece.reshape(array.shape[::-1]).T)
        else:
            views.append(piece.reshape(array.shape))
        start += array.size
    return views, start


class _Workspace:
    """Arrays reused by every training step of one model, sized for the largest batch so far."""

    def __init__(self, model, n: int):
        dtype, self.capacity = model.dtype, n
        self.hidden, self.classes = model.sizes[1:-1], model.sizes[-1]
        self.z = [np.empty(n * width, dtype) for width in self.hidden]
        self.a = [np.empty(n * width, dtype) for width in self.hidden]
        self.da = [np.empty(n * width, dtype) for width in self.hidden]
        self.mask = [np.empty(n * width, dtype) for width in self.hidden]
        self.zeros = [np.zeros(n * width, dtype) for width in self.hidden]
        self.bias = [np.empty(16 * width, dtype) for width in self.hidden]
        self.logits = np.empty(self.classes * n, dtype)
        self.logits_t = np.empty(self.classes * n, dtype)
        self.grad_t = np.empty(self.classes * n, dtype)
        self.max, self.sum, self.log = (np.empty(n, dtype) for _ in range(3))
        self.index = np.empty(n, np.intp)
        self.rows = np.arange(n, dtype=np.intp)
        self.ones = np.ones(n, dtype)
        # every gradient is a view of one flat array, and so is every lr * gradient:
        # the update scales all of them with one multiplication
        size = sum(W.size + b.size for W, b in zip(model.W, model.b))
        self.gradients, self.steps = np.empty(size, dtype), np.empty(size, dtype)
        self.dW, end = _parameter_views(self.gradients, model.W, 0)
        self.db, _ = _parameter_views(self.gradients, model.b, end)
        self.step_W, end = _parameter_views(self.steps, model.W, 0)
        self.step_b, _ = _parameter_views(self.steps, model.b, end)
        self._views: dict[int, _Views] = {}

    def views(self, n: int) -> _Views:
        views = self._views.get(n)
        if views is None:
            if len(self._views) > 8:
                self._views.clear()
            views = self._views[n] = _Views(self, n)
        return views


def _workspace(model, n: int) -> _Workspace:
    space = model._workspace
    if space is None or space.capacity < n:
        space = model._workspace = _Workspace(model, n)
    return space


# the unsigned integer type of each (native) signed one: viewed as unsigned, a negative
# label is larger than any class, so one maximum checks both ends of 0 <= y < C
_UNSIGNED = {np.dtype(f"i{size}"): np.dtype(f"u{size}") for size in (1, 2, 4, 8)}


def _labels_in_range(y: np.ndarray, classes: int) -> bool:
    unsigned = _UNSIGNED.get(y.dtype)
    if unsigned is not None:
        y = y.view(unsigned)
    elif y.dtype.kind != "u":
        return False    # not an integer type we can check this way: the full check decides
    return y.max() < classes


def check_step(model, X, y, lr):
    """The cheap checks of a training step; the full ones only when a cheap one fails.

    训练一步之前的快速检查；快速检查不通过时才做完整检查（给出清楚的错误）。
    """
    if not (type(X) is np.ndarray and X.dtype == model.dtype and X.ndim == 2
            and X.shape[1] == model.sizes[0] and X.shape[0] > 0):
        X = model._check_X(X)
    if not (type(y) is np.ndarray and y.shape == X.shape[:1]
            and _labels_in_range(y, model.sizes[-1])):
        y = model._check_y(y, X.shape[0])
    if not (type(lr) is float and 0.0 < lr < np.inf):
        lr = check_positive_number(lr, "lr")
    return X, y, lr


def train_step(model, X, y, lr) -> float:
    """Forward, backward and one SGD step on a batch; return the batch loss before the step.

    在一个批量上做前向、反向和一步 SGD，返回更新前的损失。See
    :meth:`MLP.train_step <mlp_course.nn.mlp.MLP.train_step>`.
    """
    model._check_parameters()
    X, y, lr = check_step(model, X, y, lr)
    return _train_step(model, X, y, lr)


def _train_step(model, X: np.ndarray, y: np.ndarray, lr: float) -> float:
    n, L = X.shape[0], model.num_layers
    space = _workspace(model, n)
    views = space.views(n)
    W, b = model.W, model.b
    relu = model.activation == "relu"
    matmul, multiply = np.matmul, np.multiply

    # forward: hidden layers row-major (N, H), the logits class-major (C, N)
    a, z_list, a_list = X, [], [X]
    for l in range(L - 1):
        z = matmul(a, W[l].T, views.z[l])
        np.copyto(views.bias_rows[l], b[l])      # b repeated k times, then z += b
        np.add(views.z_wide[l], views.bias_wide[l], views.z_wide[l])
        if relu:
            a = np.maximum(z, views.zeros[l], out=views.a[l])
        else:
            a = model._f(z)
        z_list.append(z)
        a_list.append(a)
    # a @ W.T row-major, then copied class-major while adding the bias, is faster
    # than W @ a.T straight into (C, N)
    logits_t = np.add(matmul(a, W[-1].T, views.logits).T, b[-1][:, None], views.logits_t)
    z_list.append(logits_t.T)

    # mean cross-entropy and its gradient (softmax - onehot) / N, class-major
    grad_t, flat = views.grad_t, views.index
    np.maximum.reduce(logits_t, 0, None, views.max)
    np.subtract(logits_t, views.max, grad_t)
    multiply(y, n, flat, casting="unsafe")
    flat += views.rows                       # grad_t.flat[flat] is the target class of each row
    picked = views.grad_flat.take(flat)     # z_y - max
    np.exp(grad_t, grad_t)
    sums = np.add.reduce(grad_t, 0, None, views.sum)
    # loss_i = log sum_j exp(z_j - max) - (z_y - max)
    losses = np.log(sums, views.log)
    losses -= picked
    loss = float(np.add.reduce(losses)) / n
    np.divide(1.0 / n, sums, sums)
    multiply(grad_t, sums, grad_t)
    views.grad_flat[flat] -= 1.0 / n
    delta = grad_t.T

    # backward
    model._dlogits = delta
    deltas = [None] * L
    dW, db = space.dW, space.db
    for l in range(L - 1, -1, -1):
        deltas[l] = delta
        # dW^T = a^T delta fills the transposed view, contiguous when W is column-major
        matmul(a_list[l].T, delta, dW[l].T)
        if l == L - 1:
            np.add.reduce(grad_t, 1, None, db[l])
        else:
            matmul(views.ones, delta, db[l])
        if l > 0:
            da = matmul(delta, W[l], views.da[l - 1])
            if relu:
                # f'(z) = [z > 0] as 0.0 / 1.0 in the float dtype: a float-float product
                # is faster than a float-bool one, and gives the same numbers
                mask = np.greater(z_list[l - 1], 0, views.mask[l - 1], casting="unsafe")
                delta = multiply(da, mask, da)
            else:
                delta = model._f_backward(da, z_list[l - 1])

    # update: every lr * gradient at once, then W -= lr * dW layer by layer
    multiply(space.gradients, lr, space.steps)
    for l in range(L):
        W[l] -= space.step_W[l]
        b[l] -= space.step_b[l]

    model.a, model.z, model.delta, model.dW, model.db = a_list, z_list, deltas, dW, db
    return loss


def last_prediction(model) -> np.ndarray:
    """The predicted class of every row of the last training batch (from ``model.z[-1]``)."""
    # z[-1] is the transposed view of the class-major logits: argmax over the
    # outer axis of the contiguous array is the fast one
    return np.argmax(model.z[-1].T, axis=0)


def fit(model, X, y, epochs, batch_size=64, lr=0.1, seed=0, X_val=None, y_val=None,
        callback=None, verbose=False) -> dict:
    """Train with mini-batch SGD; see :meth:`MLP.fit <mlp_course.nn.mlp.MLP.fit>`.

    用小批量 SGD 训练若干轮，返回训练记录。
    """
    model._check_parameters()
    X = model._check_X(X)
    y = model._check_y(y, X.shape[0])
    epochs = check_integer(epochs, "epochs", minimum=0)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    lr = check_positive_number(lr, "lr")
    seed = check_integer(seed, "seed", minimum=0)
    if (X_val is None) != (y_val is None):
        raise CourseValueError(
            zh="X_val 和 y_val 要么都给出，要么都不给。",
            en="Give both X_val and y_val, or neither.")
    if X_val is not None:
        X_val = model._check_X(X_val, "X_val")
        y_val = model._check_y(y_val, X_val.shape[0], "y_val")
    if callback is not None and not callable(callback):
        raise CourseTypeError(
            zh="参数 callback 应为函数，收到的是 {got}。",
            en="callback must be a function, got {got}.",
            got=describe(callback))

    rng = np.random.default_rng(seed)
    history: dict[str, list] = {"loss": [], "accuracy": [], "time": []}
    if X_val is not None:
        history["val_loss"], history["val_accuracy"] = [], []
    n = X.shape[0]
    start = time.perf_counter()
    for epoch in range(epochs):
        order = rng.permutation(n)
        total_loss, correct = 0.0, 0
        # overflow shows up as a non-finite loss, reported below in the
        # learner's language instead of numpy's English warnings
        with np.errstate(over="ignore", invalid="ignore"):
            for first in range(0, n, batch_size):
                rows = order[first:first + batch_size]
                X_batch, y_batch = X[rows], y[rows]
                total_loss += _train_step(model, X_batch, y_batch, lr) * rows.size
                correct += int(np.count_nonzero(last_prediction(model) == y_batch))
        if not np.isfinite(total_loss):
            raise CourseValueError(
                zh="训练在第 {epoch} 轮发散了：损失变成了 {loss}。学习率 lr={lr} "
                   "可能太大，试试小 10 倍的值。",
                en="Training diverged in epoch {epoch}: the loss became {loss}. The "
                   "learning rate lr={lr} is probably too large; try one 10 times smaller.",
                epoch=epoch + 1, loss=total_loss, lr=lr)
        logs = {"loss": total_loss / n, "accuracy": correct / n,
                "time": time.perf_counter() - start}
        if X_val is not None:
            logits = model._logits(X_val)
            logs["val_loss"] = float(_cross_entropy_index(logits, y_val)[0])
            logs["val_accuracy"] = float(np.mean(np.argmax(logits, axis=1) == y_val))
        for key, value in logs.items():
            history[key].append(value)
        if verbose:
            print(epoch_line(epoch, epochs, logs))
        if callback is not None and callback(epoch, logs) is True:
            break
    return history


def epoch_line(epoch: int, epochs: int, logs: dict) -> str:
    """One line of ``fit(verbose=True)``, in the active language.  一轮训练的一行记录。"""
    line = text(zh="第 {e}/{n} 轮：损失 {loss:.4f}，准确率 {acc:.1%}",
                en="epoch {e}/{n}: loss {loss:.4f}, accuracy {acc:.1%}",
                e=epoch + 1, n=epochs, loss=logs["loss"], acc=logs["accuracy"])
    if "val_loss" in logs:
        line += text(zh="；验证损失 {loss:.4f}，验证准确率 {acc:.1%}",
                     en="; val loss {loss:.4f}, val accuracy {acc:.1%}",
                     loss=logs["val_loss"], acc=logs["val_accuracy"])
    return line
