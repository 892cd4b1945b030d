r"""A multi-layer perceptron built from the course's own layers, trained with SGD.

用课程自己的层函数搭成的多层感知机，用随机梯度下降（SGD）训练。

The network with layer sizes ``[D, H_1, ..., H_{L-1}, C]`` computes, for a
batch :math:`X` of shape (N, D),

.. math::

    a_0 = X, \qquad z_l = a_l W_l^\top + b_l, \qquad a_{l+1} = f(z_l)
    \quad (l = 0, \dots, L-2), \qquad \text{logits} = z_{L-1},

and is trained on the mean cross-entropy :math:`L = -\frac1N \sum_i \log
\mathrm{softmax}(z_{L-1})_{i, y_i}`. Backpropagation runs the same chain
backwards with :math:`\delta_l = \partial L / \partial z_l`:

.. math::

    \delta_{L-1} = \tfrac1N(\mathrm{softmax}(z_{L-1}) - \mathrm{onehot}(y)), \quad
    \frac{\partial L}{\partial W_l} = \delta_l^\top a_l, \quad
    \frac{\partial L}{\partial b_l} = \textstyle\sum_i \delta_{l,i}, \quad
    \delta_{l-1} = (\delta_l W_l) \odot f'(z_{l-1}).

Every piece is a function from :mod:`mlp_course.nn.layers`,
:mod:`mlp_course.nn.activations` and :mod:`mlp_course.nn.losses`; this module only
wires them together and keeps the intermediates (``z``, ``a``, ``delta``) so a
lesson can show them. ``W[l]`` has shape (out, in) as in ``torch.nn.Linear``.
Only numpy is imported here; PyTorch is imported inside the ``*_torch`` methods.
"""

from __future__ import annotations

import numbers
import time

import numpy as np

from . import activations as _activations
from ..i18n import CourseTypeError, CourseValueError, text
from .layers import _linear_backward, _linear_forward
from .losses import _cross_entropy_index
from .probability import _softmax
from .validation import (as_float_array, as_labels, check_float_dtype, check_positive_number,
                         describe)

__all__ = ["MLP"]

ACTIVATIONS = ("relu", "sigmoid", "tanh")
_TORCH_ACTIVATIONS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_sizes(sizes) -> tuple[int, ...]:
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise CourseTypeError(
            zh="参数 sizes 应为各层宽度组成的列表，如 [64, 128, 10]，收到的是 {got}。",
            en="sizes must be a list of layer widths such as [64, 128, 10], got {got}.",
            got=describe(sizes))
    sizes = list(sizes)
    if len(sizes) < 2:
        raise CourseValueError(
            zh="参数 sizes 至少需要两个数（输入维数 D 和类别数 C），如 [64, 10]，收到的是 {got}。",
            en="sizes needs at least two numbers (input size D and number of classes C), "
               "such as [64, 10]; got {got}.",
            got=sizes)
    for position, size in enumerate(sizes):
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Integral) \
                or size < 1:
            raise CourseValueError(
                zh="参数 sizes 的每一项都应为正整数，但 sizes[{pos}] 是 {got!r}。",
                en="every entry of sizes must be a positive integer, but sizes[{pos}] "
                   "is {got!r}.",
                pos=position, got=size)
    return tuple(int(size) for size in sizes)


def _check_activation(activation) -> str:
    if not isinstance(activation, str) or activation.lower() not in ACTIVATIONS:
        raise CourseValueError(
            zh="参数 activation 应为 'relu'、'sigmoid' 或 'tanh' 之一，收到的是 {got!r}。",
            en="activation must be one of 'relu', 'sigmoid' or 'tanh', got {got!r}.",
            got=activation)
    return activation.lower()


def _check_count(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value < minimum:
        raise CourseValueError(
            zh="参数 {name} 应为不小于 {minimum} 的整数，收到的是 {got!r}。",
            en="{name} must be an integer >= {minimum}, got {got!r}.",
            name=name, minimum=minimum, got=value)
    return int(value)


class MLP:
    r"""A fully connected network with one activation between its linear layers.

    全连接网络：线性层之间使用同一种激活函数，最后一层输出 logits。

    Parameters
    ----------
    sizes : list of int
        Layer widths ``[D, H_1, ..., C]``: input size, hidden sizes, classes.
        ``[64, 10]`` is softmax regression; ``[64, 128, 10]`` has one hidden layer.
    activation : {"relu", "sigmoid", "tanh"}
        The non-linearity :math:`f` after every hidden layer.
    seed : int
        Seed of ``np.random.default_rng`` for the initial weights.
    dtype : np.float64 or np.float32
        Dtype of parameters and computations (float32 stays float32).

    Attributes
    ----------
    W, b : list of ndarray
        ``W[l]`` has shape (out, in) and ``b[l]`` shape (out,), as in
        ``torch.nn.Linear``. Initialised like PyTorch: both uniform in
        :math:`[-1/\sqrt{\text{in}}, 1/\sqrt{\text{in}}]`.
    dW, db : list of ndarray or None
        Gradients :math:`\partial L/\partial W_l`, :math:`\partial L/\partial b_l`
        from the last :meth:`backward` (or :meth:`train_step`).
    z, a, delta : list of ndarray
        After :meth:`forward`: ``a[l]`` is the input of layer ``l`` (``a[0] = X``),
        ``z[l] = a[l] @ W[l].T + b[l]``. After :meth:`backward`:
        ``delta[l]`` is :math:`\partial L / \partial z_l`.

    Examples
    --------
    >>> from mlp_course.nn.data import make_spiral
    >>> X, y = make_spiral()
    >>> model = MLP([2, 64, 3], seed=0)
    >>> history = model.fit(X, y, epochs=200, batch_size=32, lr=0.5)
    >>> model.accuracy(X, y) > 0.9
    True
    """

    def __init__(self, sizes, activation: str = "relu", seed: int = 0, dtype=np.float64):
        self.sizes = _check_sizes(sizes)
        self.activation = _check_activation(activation)
        self.dtype = check_float_dtype(dtype)
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) \
                or seed < 0:
            raise CourseValueError(
                zh="参数 seed 应为非负整数，收到的是 {got!r}。",
                en="seed must be a non-negative integer, got {got!r}.",
                got=seed)
        self.seed = int(seed)
        self._f = _activations.FORWARD[self.activation]
        self._f_backward = _activations.BACKWARD[self.activation]

        rng = np.random.default_rng(self.seed)
        self.W: list[np.ndarray] = []
        self.b: list[np.ndarray] = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            # torch.nn.Linear's default: kaiming_uniform_(a=sqrt(5)) gives this bound
            bound = 1.0 / np.sqrt(fan_in)
            W = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(self.dtype)
            # column-major storage: z = a @ W.T then reads a contiguous (in, out) matrix,
            # which BLAS multiplies faster for small batches; W's shape stays (out, in)
            self.W.append(np.asfortranarray(W))
            self.b.append(rng.uniform(-bound, bound, fan_out).astype(self.dtype))
        self._clear_cache()

    # ------------------------------------------------------------ description

    @property
    def num_layers(self) -> int:
        """L, the number of linear layers.  线性层的层数 L。"""
        return len(self.W)

    @property
    def num_parameters(self) -> int:
        """Total number of weights and biases.  权重和偏置的总数。"""
        return sum(W.size + b.size for W, b in zip(self.W, self.b))

    def __repr__(self) -> str:
        layers = []
        for l, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            layers.append(f"Linear({fan_in} -> {fan_out})")
            if l < self.num_layers - 1:
                layers.append(self.activation)
        return (f"MLP({list(self.sizes)}, activation={self.activation!r}, "
                f"dtype={self.dtype.name}, parameters={self.num_parameters}: "
                + " -> ".join(layers) + ")")

    def parameters(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The parameters ``[(W[0], b[0]), (W[1], b[1]), ...]`` (the arrays themselves).

        参数列表 ``[(W[0], b[0]), ...]``，返回的是数组本身（不是副本）。
        """
        return list(zip(self.W, self.b))

    def gradients(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The gradients ``[(dW[0], db[0]), ...]`` from the last backward pass.

        最近一次反向传播得到的梯度 ``[(dW[0], db[0]), ...]``。

        After :meth:`train_step` these are work buffers that the next call
        overwrites: copy them (``dW.copy()``) to keep them.
        """
        if self.dW is None:
            raise CourseValueError(
                zh="还没有梯度：请先调用 loss(X, y) 和 backward()（或 train_step）。",
                en="No gradients yet: call loss(X, y) and then backward() "
                   "(or train_step) first.")
        return list(zip(self.dW, self.db))

    # ------------------------------------------------------------ input checks

    def _check_X(self, X, name: str = "X") -> np.ndarray:
        X = as_float_array(X, name, ndim=2)
        if X.shape[1] != self.sizes[0]:
            raise CourseValueError(
                zh="参数 {name} 的特征数（列数）应为 D={D}（模型 sizes[0]），"
                   "收到的形状是 {shape}。",
                en="{name} must have D={D} features (columns), the model's sizes[0]; "
                   "got shape {shape}.",
                name=name, D=self.sizes[0], shape=X.shape)
        if not np.isfinite(X).all():
            row = int(np.argwhere(~np.isfinite(X))[0, 0])
            raise CourseValueError(
                zh="参数 {name} 含有 nan 或 inf（第一处在第 {row} 行）；输入必须是有限数。",
                en="{name} contains nan or inf (first in row {row}); inputs must be finite.",
                name=name, row=row)
        # the model computes in its own dtype: float64 data into a float32 model is cast
        return X.astype(self.dtype, copy=False)

    def _check_parameters(self) -> None:
        """W[l] and b[l] may have been replaced by a learner: they must still fit the layer."""
        for l, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            for name, array, shape in (("W", self.W[l], (fan_out, fan_in)),
                                       ("b", self.b[l], (fan_out,))):
                if not isinstance(array, np.ndarray) or array.shape != shape:
                    raise CourseValueError(
                        zh="{name}[{l}] 的形状应为 {shape}（第 {l} 层：{fan_in} -> {fan_out}），"
                           "现在是 {got}。",
                        en="{name}[{l}] must have shape {shape} (layer {l}: {fan_in} -> "
                           "{fan_out}), but it is {got}.",
                        name=name, l=l, shape=shape, fan_in=fan_in, fan_out=fan_out,
                        got=describe(array))

    def _check_y(self, y, n: int, name: str = "y") -> np.ndarray:
        return as_labels(y, name, num_classes=self.sizes[-1], n=n)

    # ------------------------------------------------------------ forward / backward

    def _clear_cache(self) -> None:
        self.z: list[np.ndarray] = []
        self.a: list[np.ndarray] = []
        self.delta: list[np.ndarray] = []
        self.dW: list[np.ndarray] | None = None
        self.db: list[np.ndarray] | None = None
        self._dlogits: np.ndarray | None = None
        self._buffers: dict = {}

    def _logits(self, X: np.ndarray) -> np.ndarray:
        """Forward pass without keeping intermediates (prediction)."""
        a = X
        for l in range(self.num_layers):
            z = _linear_forward(a, self.W[l], self.b[l])
            a = self._f(z) if l < self.num_layers - 1 else z
        return a

    def forward(self, X) -> np.ndarray:
        r"""Logits for a batch, keeping ``z`` and ``a`` of every layer for :meth:`backward`.

        前向传播：返回 logits，并保存每层的 ``z`` 和 ``a`` 供反向传播使用。

        Parameters
        ----------
        X : array_like, shape (N, D)

        Returns
        -------
        logits : ndarray, shape (N, C)

        Examples
        --------
        >>> model = MLP([4, 5, 3])
        >>> model.forward(np.ones((2, 4))).shape
        (2, 3)
        >>> [z.shape for z in model.z], [a.shape for a in model.a]
        ([(2, 5), (2, 3)], [(2, 4), (2, 5)])
        """
        self._check_parameters()
        return self._forward(self._check_X(X))

    def _forward(self, X: np.ndarray) -> np.ndarray:
        self.a, self.z, self.delta = [X], [], []
        self._dlogits = None
        for l in range(self.num_layers):
            z = _linear_forward(self.a[l], self.W[l], self.b[l])
            self.z.append(z)
            if l < self.num_layers - 1:
                self.a.append(self._f(z))
        return self.z[-1]

    def loss(self, X, y) -> float:
        r"""Mean cross-entropy of the batch; runs :meth:`forward` and prepares :meth:`backward`.

        批次的平均交叉熵损失；会先做前向传播，并为反向传播准备好梯度。

        .. math::  L = -\frac{1}{N} \sum_{i=1}^{N} \log \mathrm{softmax}(z_{L-1})_{i, y_i}

        Parameters
        ----------
        X : array_like, shape (N, D)
        y : array_like of int, shape (N,), with ``0 <= y[i] < C``

        Returns
        -------
        float

        Examples
        --------
        >>> model = MLP([4, 5, 3])
        >>> round(model.loss(np.zeros((2, 4)), [0, 2]), 4) > 0
        True
        """
        logits = self.forward(X)
        y = self._check_y(y, logits.shape[0])
        value, self._dlogits = _cross_entropy_index(logits, y)
        return float(value)

    def backward(self, dlogits=None) -> list[tuple[np.ndarray, np.ndarray]]:
        r"""Backpropagate from the logits to every parameter; return ``[(dW, db), ...]``.

        反向传播：从 logits 一直传到每个参数，返回每层的 ``(dW, db)``。

        Parameters
        ----------
        dlogits : array_like, shape (N, C), optional
            :math:`\partial L / \partial z_{L-1}`. By default the gradient of the
            mean cross-entropy from the last :meth:`loss` call,
            :math:`(\mathrm{softmax}(z) - \mathrm{onehot}(y)) / N`.

        Returns
        -------
        list of (dW, db)
            ``dW[l]`` has the shape of ``W[l]``, ``db[l]`` that of ``b[l]``.
            The ``delta[l]`` of every layer are kept in ``self.delta``.

        Examples
        --------
        >>> model = MLP([4, 5, 3])
        >>> _ = model.loss(np.ones((2, 4)), [0, 2])
        >>> [(dW.shape, db.shape) for dW, db in model.backward()]
        [((5, 4), (5,)), ((3, 5), (3,))]
        """
        if not self.z:
            raise CourseValueError(
                zh="请先调用 forward(X) 或 loss(X, y)，再调用 backward()。",
                en="Call forward(X) or loss(X, y) before backward().")
        if dlogits is None:
            if self._dlogits is None:
                raise CourseValueError(
                    zh="backward() 不知道损失：请先调用 loss(X, y)，或传入 dlogits。",
                    en="backward() does not know the loss: call loss(X, y) first, "
                       "or pass dlogits.")
            delta = self._dlogits
        else:
            delta = as_float_array(dlogits, "dlogits", ndim=2).astype(self.dtype, copy=False)
            if delta.shape != self.z[-1].shape:
                raise CourseValueError(
                    zh="参数 dlogits 的形状应与 logits 相同 {expected}，收到的是 {shape}。",
                    en="dlogits must have the shape of the logits, {expected}; got {shape}.",
                    expected=self.z[-1].shape, shape=delta.shape)
        self._backward(delta)
        return self.gradients()

    def _backward(self, delta: np.ndarray) -> None:
        L = self.num_layers
        self.delta = [None] * L
        self.dW, self.db = [None] * L, [None] * L
        for l in reversed(range(L)):
            self.delta[l] = delta
            da, self.dW[l], self.db[l] = _linear_backward(delta, self.a[l], self.W[l])
            if l > 0:
                delta = self._f_backward(da, self.z[l - 1])

    def step(self, lr: float) -> None:
        r"""One step of gradient descent on every parameter: :math:`W \leftarrow W - \eta\, \partial L/\partial W`.

        对每个参数做一步梯度下降：:math:`W \leftarrow W - \eta\, \partial L/\partial W`。
        """
        lr = check_positive_number(lr, "lr")
        self.gradients()    # raises the clear error if backward() has not run
        self._step(lr)

    def _step(self, lr: float) -> None:
        for W, b, dW, db in zip(self.W, self.b, self.dW, self.db):
            W -= lr * dW
            b -= lr * db

    # ------------------------------------------------------------ training

    def train_step(self, X, y, lr: float) -> float:
        """Forward, backward and one SGD step on a batch; return the batch loss before the step.

        在一个批次上做前向、反向和一步 SGD，返回更新前的损失。

        This is the training loop's hot path: it checks only what is cheap
        (shape, dtype and label range) and reuses its work buffers between calls.

        Examples
        --------
        >>> model = MLP([2, 8, 2])
        >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1])
        >>> first = model.train_step(X, y, lr=0.5)
        >>> later = [model.train_step(X, y, lr=0.5) for _ in range(20)][-1]
        >>> later < first
        True
        """
        self._check_parameters()
        X, y, lr = self._check_step(X, y, lr)
        return self._train_step(X, y, lr)

    def _check_step(self, X, y, lr):
        if not (isinstance(X, np.ndarray) and X.dtype == self.dtype and X.ndim == 2
                and X.shape[1] == self.sizes[0] and X.shape[0] > 0):
            X = self._check_X(X)
        if not (isinstance(y, np.ndarray) and y.dtype.kind in "iu" and y.shape == X.shape[:1]
                and y.min() >= 0 and y.max() < self.sizes[-1]):
            y = self._check_y(y, X.shape[0])
        if not (isinstance(lr, float) and 0.0 < lr < np.inf):
            lr = check_positive_number(lr, "lr")
        return X, y, lr

    def _workspace(self, n: int) -> dict:
        """Arrays reused by every train_step, sized for the largest batch seen so far."""
        space = self._buffers
        if space.get("rows", 0) < n:
            hidden, dtype = self.sizes[1:-1], self.dtype
            space["rows"] = n
            space["z"] = [np.empty((n, width), dtype) for width in self.sizes[1:]]
            space["a"] = [None] + [np.empty((n, width), dtype) for width in hidden]
            space["da"] = [None] + [np.empty((n, width), dtype) for width in hidden]
            space["mask"] = [None] + [np.empty((n, width), bool) for width in hidden]
            space["zeros"] = [None] + [np.zeros((n, width), dtype) for width in hidden]
            # column-major logits: the softmax reduces over classes, and that
            # reduction is several times faster when classes are the outer axis
            space["logits"] = np.empty((self.sizes[-1], n), dtype).T
            space["ones"] = np.ones(n, dtype)
        if "dW" not in space:
            space["dW"] = [np.empty_like(W) for W in self.W]
            space["db"] = [np.empty_like(b) for b in self.b]
            space["step_W"] = [np.empty_like(W) for W in self.W]
            space["step_b"] = [np.empty_like(b) for b in self.b]
        return space

    def _train_step(self, X: np.ndarray, y: np.ndarray, lr: float) -> float:
        # The same computation as loss(), backward() and step() (tests check
        # that both agree), arranged for speed:
        # - results go into reused buffers (out=) instead of fresh arrays;
        # - layer 0 skips dL/dX, which training never needs;
        # - relu compares with an array of zeros, not the scalar 0, which numpy
        #   vectorises several times better; its derivative is a boolean mask;
        # - db = 1^T delta is a matrix-vector product (BLAS), not a numpy sum.
        n, L = X.shape[0], self.num_layers
        space = self._workspace(n)
        relu = self.activation == "relu"
        ones = space["ones"][:n]
        self.a, self.z = [X], []
        for l in range(L):
            z = np.matmul(self.a[l], self.W[l].T, out=space["z"][l][:n])
            z += self.b[l]
            self.z.append(z)
            if l < L - 1:
                if relu:
                    a = np.maximum(z, space["zeros"][l + 1][:n], out=space["a"][l + 1][:n])
                else:
                    a = self._f(z)
                self.a.append(a)
        logits = space["logits"][:n]
        np.copyto(logits, self.z[-1])
        value, delta = _cross_entropy_index(logits, y)
        self._dlogits = delta

        self.delta = [None] * L
        self.dW, self.db = space["dW"], space["db"]
        for l in reversed(range(L)):
            self.delta[l] = delta
            # dW^T = a^T delta fills the transposed view, contiguous when W is column-major
            np.matmul(self.a[l].T, delta, out=self.dW[l].T)
            np.matmul(ones, delta, out=self.db[l])
            if l > 0:
                da = np.matmul(delta, self.W[l], out=space["da"][l][:n])
                if relu:
                    mask = np.greater(self.z[l - 1], 0, out=space["mask"][l][:n])
                    delta = np.multiply(da, mask, out=da)
                else:
                    delta = self._f_backward(da, self.z[l - 1])

        for l in range(L):
            self.W[l] -= np.multiply(self.dW[l], lr, out=space["step_W"][l])
            self.b[l] -= np.multiply(self.db[l], lr, out=space["step_b"][l])
        return value

    def fit(self, X, y, epochs: int, batch_size: int = 64, lr: float = 0.1, seed: int = 0,
            X_val=None, y_val=None, callback=None, verbose: bool = False) -> dict:
        """Train with mini-batch SGD for a number of epochs; return the history.

        用小批量 SGD 训练若干轮（epoch），返回训练记录。

        Each epoch visits the rows of ``X`` in the order
        ``np.random.default_rng(seed).permutation(N)`` (one new permutation per
        epoch from the same generator) in batches of ``batch_size``, so the same
        seed gives the same training run.

        Parameters
        ----------
        X : array_like, shape (N, D)
        y : array_like of int, shape (N,)
        epochs : int
        batch_size : int
        lr : float
            Learning rate :math:`\\eta > 0`.
        seed : int
            Seed of the shuffling.
        X_val, y_val : array_like, optional
            Held-out data, evaluated after every epoch.
        callback : callable, optional
            Called as ``callback(epoch, logs)`` after every epoch, with ``logs``
            the epoch's entries of the history; returning ``True`` stops training.
        verbose : bool
            Print one line per epoch.

        Returns
        -------
        dict
            ``"loss"`` and ``"accuracy"``: per epoch, the mean over the epoch's
            batches (each measured before its update step); ``"val_loss"`` and
            ``"val_accuracy"`` when validation data is given; ``"time"``: seconds
            since the start.
        """
        self._check_parameters()
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        epochs = _check_count(epochs, "epochs", 0)
        batch_size = _check_count(batch_size, "batch_size", 1)
        lr = check_positive_number(lr, "lr")
        seed = _check_count(seed, "seed", 0)
        if (X_val is None) != (y_val is None):
            raise CourseValueError(
                zh="X_val 和 y_val 要么都给出，要么都不给。",
                en="Give both X_val and y_val, or neither.")
        if X_val is not None:
            X_val = self._check_X(X_val, "X_val")
            y_val = self._check_y(y_val, X_val.shape[0], "y_val")
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
                    total_loss += self._train_step(X_batch, y_batch, lr) * rows.size
                    correct += int(np.count_nonzero(self._last_prediction() == y_batch))
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
                logits = self._logits(X_val)
                logs["val_loss"] = float(_cross_entropy_index(logits, y_val)[0])
                logs["val_accuracy"] = float(np.mean(np.argmax(logits, axis=1) == y_val))
            for key, value in logs.items():
                history[key].append(value)
            if verbose:
                print(self._epoch_line(epoch, epochs, logs))
            if callback is not None and callback(epoch, logs) is True:
                break
        return history

    def _last_prediction(self) -> np.ndarray:
        # the column-major copy of the logits made by _train_step: argmax over
        # classes is faster there
        return np.argmax(self._buffers["logits"][:self.z[-1].shape[0]], axis=1)

    @staticmethod
    def _epoch_line(epoch: int, epochs: int, logs: dict) -> str:
        line = text(zh="第 {e}/{n} 轮：损失 {loss:.4f}，准确率 {acc:.1%}",
                    en="epoch {e}/{n}: loss {loss:.4f}, accuracy {acc:.1%}",
                    e=epoch + 1, n=epochs, loss=logs["loss"], acc=logs["accuracy"])
        if "val_loss" in logs:
            line += text(zh="；验证损失 {loss:.4f}，验证准确率 {acc:.1%}",
                         en="; val loss {loss:.4f}, val accuracy {acc:.1%}",
                         loss=logs["val_loss"], acc=logs["val_accuracy"])
        return line

    # ------------------------------------------------------------ prediction

    def predict_proba(self, X) -> np.ndarray:
        r"""Class probabilities :math:`\mathrm{softmax}(\text{logits})`, shape (N, C).

        各类别的概率 :math:`\mathrm{softmax}(\text{logits})`，形状 (N, C)。
        """
        return _softmax(self._logits(self._check_X(X)), axis=1)

    def predict(self, X) -> np.ndarray:
        """The most probable class of every row, shape (N,), int64.

        每一行最可能的类别，形状 (N,)，int64。
        """
        return np.argmax(self._logits(self._check_X(X)), axis=1).astype(np.int64)

    def accuracy(self, X, y) -> float:
        """Fraction of rows whose predicted class equals ``y``.  预测正确的比例。"""
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        return float(np.mean(np.argmax(self._logits(X), axis=1) == y))

    # ------------------------------------------------------------ PyTorch

    def to_torch(self):
        """An equivalent ``torch.nn.Sequential`` (Linear, activation, ..., Linear) with copies of the parameters.

        转换成等价的 ``torch.nn.Sequential``（参数为副本），可用 autograd 核对。

        Examples
        --------
        >>> MLP([4, 5, 3], activation="tanh").to_torch()   # doctest: +SKIP
        Sequential(
          (0): Linear(in_features=4, out_features=5, bias=True)
          (1): Tanh()
          (2): Linear(in_features=5, out_features=3, bias=True)
        )
        """
        import torch

        torch_dtype = torch.float64 if self.dtype == np.float64 else torch.float32
        activation = getattr(torch.nn, _TORCH_ACTIVATIONS[self.activation])
        modules = []
        for l, (W, b) in enumerate(zip(self.W, self.b)):
            linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch_dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))
                linear.bias.copy_(torch.from_numpy(b))
            modules.append(linear)
            if l < self.num_layers - 1:
                modules.append(activation())
        return torch.nn.Sequential(*modules)

    @staticmethod
    def _read_torch(sequential):
        """(sizes, activation, dtype, weights, biases) of a Linear/activation Sequential."""
        import torch

        if not isinstance(sequential, torch.nn.Sequential):
            raise CourseTypeError(
                zh="参数 sequential 应为 torch.nn.Sequential，收到的是 {got}。",
                en="sequential must be a torch.nn.Sequential, got {got}.",
                got=type(sequential).__name__)
        modules = list(sequential)
        by_class = {getattr(torch.nn, name): key for key, name in _TORCH_ACTIVATIONS.items()}
        activations = {by_class[type(m)] for m in modules[1::2] if type(m) in by_class}
        linears = modules[0::2]
        valid = (len(modules) % 2 == 1
                 and all(type(m) is torch.nn.Linear and m.bias is not None for m in linears)
                 and all(type(m) in by_class for m in modules[1::2])
                 and len(activations) <= 1
                 and all(a.out_features == b.in_features for a, b in zip(linears, linears[1:])))
        if not valid:
            raise CourseValueError(
                zh="sequential 应为 Linear、激活、Linear、……、Linear 的交替结构，"
                   "激活函数统一为 ReLU、Sigmoid 或 Tanh 之一，相邻层的宽度要衔接，"
                   "且每个 Linear 都有偏置；收到的是 {got}。",
                en="sequential must alternate Linear, activation, Linear, ..., Linear, "
                   "with one kind of activation (ReLU, Sigmoid or Tanh), matching widths "
                   "and a bias in every Linear; got {got}.",
                got=" -> ".join(type(m).__name__ for m in modules) or "[]")
        dtypes = {m.weight.dtype for m in linears} | {m.bias.dtype for m in linears}
        if dtypes not in ({torch.float32}, {torch.float64}):
            raise CourseTypeError(
                zh="sequential 的参数应全部为 float32 或全部为 float64，收到的是 {got}。",
                en="sequential's parameters must be all float32 or all float64, got {got}.",
                got=sorted(str(d) for d in dtypes))
        sizes = [linears[0].in_features] + [m.out_features for m in linears]
        activation = activations.pop() if activations else "relu"
        dtype = np.float64 if dtypes == {torch.float64} else np.float32
        weights = [m.weight.detach().cpu().numpy().copy() for m in linears]
        biases = [m.bias.detach().cpu().numpy().copy() for m in linears]
        return sizes, activation, dtype, weights, biases

    @classmethod
    def from_torch(cls, sequential) -> "MLP":
        """A new MLP with the architecture and (copied) parameters of a ``torch.nn.Sequential``.

        由 ``torch.nn.Sequential`` 构造一个结构和参数都相同的 MLP（参数为副本）。
        """
        sizes, activation, dtype, weights, biases = cls._read_torch(sequential)
        model = cls(sizes, activation=activation, dtype=dtype)
        model.W = [np.asfortranarray(W) for W in weights]
        model.b = biases
        return model

    def load_torch(self, sequential) -> "MLP":
        """Copy the parameters of an equivalent ``torch.nn.Sequential`` into this model.

        把结构相同的 ``torch.nn.Sequential`` 的参数复制到本模型中（原地修改并返回本模型）。
        """
        sizes, activation, dtype, weights, biases = self._read_torch(sequential)
        if tuple(sizes) != self.sizes or (len(sizes) > 2 and activation != self.activation):
            raise CourseValueError(
                zh="sequential 的结构 {got} 与本模型 {expected} 不同。",
                en="sequential's architecture {got} differs from this model's {expected}.",
                got=f"{sizes} {activation}", expected=f"{list(self.sizes)} {self.activation}")
        for l in range(self.num_layers):
            self.W[l][...] = weights[l]
            self.b[l][...] = biases[l]
        self._clear_cache()
        return self
