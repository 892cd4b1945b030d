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
Training lives in :mod:`mlp_course.nn.training` (the fused SGD step and the loop),
the conversion to and from PyTorch in :mod:`mlp_course.nn.torch_bridge`; the
methods here delegate to them. Only numpy is imported (PyTorch only inside the
bridge's functions).
"""

from __future__ import annotations

import numpy as np

from . import activations as _activations
from . import torch_bridge, training
from ..i18n import CourseTypeError, CourseValueError
from .layers import _linear_backward, _linear_forward
from .losses import _cross_entropy_index
from .probability import _softmax
from .validation import (as_float_array, as_labels, check_activation,
                         check_float_dtype, check_integer, check_positive_number, describe)

__all__ = ["MLP"]


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
    return tuple(check_integer(size, f"sizes[{position}]", minimum=1)
                 for position, size in enumerate(sizes))


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
        self.activation = check_activation(activation)
        self.dtype = check_float_dtype(dtype)
        self.seed = check_integer(seed, "seed", minimum=0)
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
        self._workspace = None    # training's reused arrays (see training.py)

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

        批量的平均交叉熵损失；会先做前向传播，并为反向传播准备好梯度。

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

        在一个批量上做前向、反向和一步 SGD，返回更新前的损失。

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
        return training.train_step(self, X, y, lr)

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
        return training.fit(self, X, y, epochs, batch_size, lr, seed, X_val, y_val, callback,
                            verbose)

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
        return torch_bridge.to_torch(self)

    @classmethod
    def from_torch(cls, sequential) -> "MLP":
        """A new MLP with the architecture and (copied) parameters of a ``torch.nn.Sequential``.

        由 ``torch.nn.Sequential`` 构造一个结构和参数都相同的 MLP（参数为副本）。
        """
        return torch_bridge.from_torch(cls, sequential)

    def load_torch(self, sequential) -> "MLP":
        """Copy the parameters of an equivalent ``torch.nn.Sequential`` into this model.

        把结构相同的 ``torch.nn.Sequential`` 的参数复制到本模型中（原地修改并返回本模型）。
        """
        return torch_bridge.load_torch(self, sequential)
