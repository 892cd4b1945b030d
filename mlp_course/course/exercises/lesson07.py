r"""Lesson 07 exercises: one SGD step, and one epoch of mini-batch SGD, checked against PyTorch.

第 07 课练习：一步随机梯度下降（SGD），以及一整轮（epoch）小批量 SGD，与 PyTorch 对比检查。

The model of this lesson *is* its list of parameters ``[W_1, b_1, W_2, b_2, ...]``
(``W_l`` of shape (out, in) as in ``torch.nn.Linear``, ReLU between layers,
softmax cross-entropy on the last layer). Both exercises are pure functions:
they return new parameters and leave their inputs untouched, so a notebook can
keep the initial parameters and train the same start again (in PyTorch, with
another learning rate, ...). The check hands the learner read-only arrays, so
an in-place update (``p -= lr * g``) is reported as such instead of passing
silently.

Batch order, fixed so that two implementations can be compared step by step:
one epoch draws ``order = rng.permutation(N)`` once, then visits
``order[0:B], order[B:2B], ...``; the last batch may be smaller.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...i18n import CourseTypeError, CourseValueError, Message
from ...nn.validation import (as_float_array, as_labels, check_integer, check_positive_number,
                              describe)
from .core import (Case, Exercise, Mismatch, Symptom, compare_array_list, default_compare,
                   register)
from .symptoms import close

__all__ = ["sgd_step", "loss_and_grads", "train_epoch", "l2_loss_and_grads", "fit_early_stopping",
           "SGD_STEP", "TRAIN_EPOCH", "L2_LOSS_AND_GRADS", "EARLY_STOPPING"]

# Ready-made training loops and optimisers: the exercises are to write them.
_SHORTCUTS = ("torch", "jax", "tensorflow", "sklearn", "mlp_course.MLP", "mlp_course.nn.mlp")


# ---------------------------------------------------------------------------
# Reference implementations (numpy only)

def _check_params(params, name: str) -> list[np.ndarray]:
    if isinstance(params, np.ndarray) or not isinstance(params, (list, tuple)):
        raise CourseTypeError(
            zh="参数 {name} 应为数组组成的列表，如 [W1, b1, W2, b2]，收到的是 {got}。",
            en="{name} must be a list of arrays such as [W1, b1, W2, b2], got {got}.",
            name=name, got=describe(params))
    return [as_float_array(p, f"{name}[{i}]", allow_empty=True) for i, p in enumerate(params)]


def sgd_step(params, grads, lr):
    r"""One step of gradient descent: every parameter moves against its gradient.

    梯度下降的一步：每个参数都沿梯度的反方向移动。

    .. math::  \theta \leftarrow \theta - \eta\, \frac{\partial L}{\partial \theta}

    Returns *new* arrays; ``params`` and ``grads`` are not modified.
    返回新的数组，不修改 ``params`` 和 ``grads``。

    Parameters
    ----------
    params : list of ndarray
        The parameters, e.g. ``[W1, b1, W2, b2]``.
    grads : list of ndarray
        :math:`\partial L / \partial \theta` for each parameter, same shapes and order.
    lr : float
        The learning rate :math:`\eta > 0`.

    Returns
    -------
    list of ndarray
        ``[p - lr * g for p, g in zip(params, grads)]``, each of its parameter's dtype.

    Examples
    --------
    >>> sgd_step([np.array([1.0, 2.0])], [np.array([0.5, -1.0])], lr=0.1)
    [array([0.95, 2.1 ])]
    """
    params = _check_params(params, "params")
    grads = _check_params(grads, "grads")
    lr = check_positive_number(lr, "lr")
    if len(params) != len(grads):
        raise CourseValueError(
            zh="params 有 {n} 个数组，grads 却有 {m} 个：每个参数需要恰好一个梯度。",
            en="params has {n} arrays but grads has {m}: every parameter needs exactly "
               "one gradient.",
            n=len(params), m=len(grads))
    for i, (p, g) in enumerate(zip(params, grads)):
        if p.shape != g.shape:
            raise CourseValueError(
                zh="grads[{i}] 的形状 {got} 与 params[{i}] 的形状 {want} 不同。",
                en="grads[{i}] has shape {got}, but params[{i}] has shape {want}.",
                i=i, got=g.shape, want=p.shape)
    return [(p - lr * g).astype(p.dtype, copy=False) for p, g in zip(params, grads)]


def _relu(z):
    return np.maximum(z, 0)


def _loss_and_grads(params: list[np.ndarray], X: np.ndarray, y: np.ndarray):
    """Mean cross-entropy of a ReLU MLP and its gradients (no input checks)."""
    from ...nn.losses import _cross_entropy_index

    weights, biases = params[0::2], params[1::2]
    L = len(weights)
    activations, pre_activations = [X], []
    for l in range(L):
        z = activations[-1] @ weights[l].T + biases[l]
        pre_activations.append(z)
        if l < L - 1:
            activations.append(_relu(z))
    loss, delta = _cross_entropy_index(pre_activations[-1], y)
    grads: list = [None] * (2 * L)
    for l in reversed(range(L)):
        grads[2 * l] = delta.T @ activations[l]
        grads[2 * l + 1] = delta.sum(axis=0)
        if l > 0:
            # ReLU passes the gradient only where its input was positive
            delta = (delta @ weights[l]) * (pre_activations[l - 1] > 0)
    return float(loss), grads


def _check_model(params, X, y):
    params = _check_params(params, "params")
    if len(params) < 2 or len(params) % 2:
        raise CourseValueError(
            zh="params 应为 [W1, b1, W2, b2, ...]：权重和偏置成对出现，收到 {n} 个数组。",
            en="params must be [W1, b1, W2, b2, ...], weights and biases in pairs; "
               "got {n} arrays.",
            n=len(params))
    X = as_float_array(X, "X", ndim=2)
    width = X.shape[1]
    for l, (W, b) in enumerate(zip(params[0::2], params[1::2])):
        if W.ndim != 2 or W.shape[1] != width or b.shape != (W.shape[0],):
            raise CourseValueError(
                zh="第 {l} 层的形状不衔接：W 应为 (out, {width})、b 应为 (out,)，"
                   "收到的是 W {W_shape}、b {b_shape}。",
                en="layer {l} does not fit: W must be (out, {width}) and b (out,), "
                   "got W {W_shape} and b {b_shape}.",
                l=l, width=width, W_shape=W.shape, b_shape=b.shape)
        width = W.shape[0]
    y = as_labels(y, "y", num_classes=width, n=X.shape[0])
    dtype = params[0].dtype
    return [p.astype(dtype, copy=False) for p in params], X.astype(dtype, copy=False), y


def loss_and_grads(params, X, y):
    r"""Mean cross-entropy of a ReLU MLP on a batch, and its gradient for every parameter.

    ReLU 多层感知机在一个批量上的平均交叉熵，以及它对每个参数的梯度。

    .. math::
        a_0 = X,\; z_l = a_l W_l^\top + b_l,\; a_{l+1} = \mathrm{relu}(z_l),\quad
        L = -\frac1N \sum_i \log \mathrm{softmax}(z_{\text{last}})_{i, y_i}

    Parameters
    ----------
    params : list of ndarray
        ``[W1, b1, W2, b2, ...]``, ``W_l`` of shape (out, in), ``b_l`` of shape (out,).
    X : ndarray, shape (N, D)
    y : ndarray of int, shape (N,), ``0 <= y[i] < C``

    Returns
    -------
    loss : float
    grads : list of ndarray
        ``[dW1, db1, dW2, db2, ...]`` in the order and shapes of ``params``.
    """
    params, X, y = _check_model(params, X, y)
    return _loss_and_grads(params, X, y)


def train_epoch(params, X, y, lr, batch_size, rng):
    r"""One epoch of mini-batch SGD: shuffle once, then one step per batch.

    一轮（epoch）小批量 SGD：先打乱一次顺序，然后每个批量走一步。

    ``order = rng.permutation(N)``; the batches are ``order[0:B]``,
    ``order[B:2B]``, ... (the last may be smaller). For each batch: the loss
    and gradients at the current parameters, then
    :math:`\theta \leftarrow \theta - \eta\, \nabla_\theta L_{\text{batch}}`.

    Parameters
    ----------
    params : list of ndarray
        ``[W1, b1, W2, b2, ...]``; not modified.
    X : ndarray, shape (N, D)
    y : ndarray of int, shape (N,)
    lr : float
        Learning rate :math:`\eta > 0`.
    batch_size : int
        B, the number of examples per batch.
    rng : numpy.random.Generator
        Used once, for the permutation.

    Returns
    -------
    params : list of ndarray
        The parameters after the last step.
    losses : list of float
        The loss of every batch, each measured before its step.
    """
    params, X, y = _check_model(params, X, y)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    if not isinstance(rng, np.random.Generator):
        raise CourseTypeError(
            zh="参数 rng 应为 np.random.Generator（例如 np.random.default_rng(0)），收到的是 {got}。",
            en="rng must be a np.random.Generator (e.g. np.random.default_rng(0)), got {got}.",
            got=describe(rng))
    lr = check_positive_number(lr, "lr")
    order = rng.permutation(X.shape[0])
    losses = []
    for start in range(0, X.shape[0], int(batch_size)):
        rows = order[start:start + batch_size]
        loss, grads = _loss_and_grads(params, X[rows], y[rows])
        losses.append(loss)
        params = [p - lr * g for p, g in zip(params, grads)]
    return params, losses


# ---------------------------------------------------------------------------
# Inputs that refuse to be changed in place

class _ReadOnlyOnCopy(np.ndarray):
    """An array whose (deep) copy is a plain, read-only ndarray.

    The check deep-copies every input before calling the learner's function, so
    the learner receives read-only arrays: ``p -= lr * g`` then fails loudly
    ("assignment destination is read-only") instead of silently changing the
    caller's parameters.
    """

    def __deepcopy__(self, memo):
        plain = np.array(self, copy=True)
        plain.flags.writeable = False
        return plain


def _frozen(array: np.ndarray) -> np.ndarray:
    return np.asarray(array).view(_ReadOnlyOnCopy)


# ---------------------------------------------------------------------------
# Expected results with PyTorch

def _torch_dtype(array):
    import torch

    return torch.float32 if np.asarray(array).dtype == np.float32 else torch.float64


def _expected_sgd_step(params, grads, lr):
    import torch

    tensors = [torch.tensor(np.array(p), dtype=_torch_dtype(p)) for p in params]
    for tensor, g in zip(tensors, grads):
        _torch_sgd_update(tensor, torch.tensor(np.array(g), dtype=tensor.dtype), lr)
    return [tensor.numpy() for tensor in tensors]


def _torch_sgd_update(tensor, grad, lr: float) -> None:
    """The update of ``torch.optim.SGD`` (no momentum): ``p.add_(grad, alpha=-lr)``.

    Written out because the first ``torch.optim`` step in a process costs about a
    second of one-off set-up, too slow for an instant check.
    """
    import torch

    with torch.no_grad():
        tensor.add_(grad, alpha=-lr)


def _forward_torch(tensors, inputs):
    """The logits of the ReLU MLP whose parameters are ``tensors`` = [W1, b1, W2, b2, ...]."""
    import torch

    a = inputs
    for index in range(0, len(tensors), 2):
        a = torch.nn.functional.linear(a, tensors[index], tensors[index + 1])
        if index + 2 < len(tensors):
            a = torch.relu(a)
    return a


def _torch_epoch(tensors, inputs, labels, lr, batch_size, rng) -> list[float]:
    """One epoch of mini-batch SGD on ``tensors``, in place; every batch's loss before its step."""
    import torch

    order = torch.from_numpy(rng.permutation(len(inputs)))
    losses = []
    for start in range(0, len(inputs), batch_size):
        rows = order[start:start + batch_size]
        loss = torch.nn.functional.cross_entropy(_forward_torch(tensors, inputs[rows]),
                                                 labels[rows])
        grads = torch.autograd.grad(loss, tensors)
        for tensor, grad in zip(tensors, grads):
            _torch_sgd_update(tensor, grad, lr)
        losses.append(loss.item())
    return losses


def _expected_train_epoch(params, X, y, lr, batch_size, rng):
    import torch

    dtype = _torch_dtype(params[0])
    tensors = [torch.tensor(np.array(p), dtype=dtype, requires_grad=True) for p in params]
    losses = _torch_epoch(tensors, torch.tensor(np.array(X), dtype=dtype),
                          torch.tensor(np.asarray(y), dtype=torch.int64), lr, batch_size, rng)
    return ([tensor.detach().numpy() for tensor in tensors],
            np.array(losses, dtype=np.asarray(X).dtype))


# ---------------------------------------------------------------------------
# Comparing

def _compare_sgd_step(got, expected, case) -> Mismatch | None:
    return compare_array_list(got, expected, case, "params")


def _compare_train_epoch(got, expected, case) -> Mismatch | None:
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        return Mismatch(Message(
            zh="应返回一对 (params, losses)：训练后的参数列表和每个批量的损失，实际返回了 {got}。",
            en="should return a pair (params, losses): the trained parameters and every "
               "batch's loss; got {got}.",
            got=describe(got)))
    params, losses = got
    expected_params, expected_losses = expected
    try:
        loss_array = np.asarray(losses, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return Mismatch(Message(
            zh="losses 应为数字组成的列表（每个批量一个），实际是 {got}。",
            en="losses should be a list of numbers (one per batch), got {got}.",
            got=describe(losses)))
    if loss_array.size != expected_losses.size:
        return Mismatch(Message(
            zh="批量数不对：N={n}、batch_size={b} 应有 {want} 个批量损失，实际有 {got} 个。"
               "最后一个不满的批量也算一个批量。",
            en="wrong number of batches: N={n} with batch_size={b} gives {want} batch "
               "losses, got {got}. The last, smaller batch counts too.",
            n=len(case.args[1]), b=case.args[4], want=expected_losses.size,
            got=loss_array.size))
    # losses may come back as Python floats: compare values, not dtypes
    found = default_compare(loss_array, expected_losses.astype(np.float64),
                            replace(case, check_dtype=False, rtol=case.rtol or _rtol(expected_losses),
                                    atol=case.atol or _atol(expected_losses)),
                            where="losses: ")
    if found is not None:
        return found
    return compare_array_list(params, expected_params, case, "params")


def _rtol(array) -> float:
    return 1e-4 if np.asarray(array).dtype == np.float32 else 1e-6


def _atol(array) -> float:
    return 1e-5 if np.asarray(array).dtype == np.float32 else 1e-9


# ---------------------------------------------------------------------------
# Cases

_DTYPE = Message(
    zh="保持每个参数的 dtype：float32 的参数更新之后仍是 float32，不要转换成 float64。",
    en="Keep each parameter's dtype: a float32 parameter is still float32 after its update; "
       "do not convert to float64.")
_STEP_TASK = Message(
    zh="梯度指向损失增长最快的方向；一步梯度下降让每个参数朝哪个方向走、走多远？",
    en="The gradient points to where the loss grows fastest; in which direction, and how far, "
       "does one step of gradient descent move each parameter?")
_ORDER = Message(
    zh="批量的顺序是约定好的（见练习上方的说明）：一轮开始时用传入的 rng 打乱一次，再按打乱后的顺序"
       "依次取批量。每个批量先算损失和梯度，再更新；记录的是更新之前的损失。",
    en="The batch order is fixed by the exercise (see the text above it): shuffle once, with "
       "the rng you are given, at the start of the epoch, then take the batches in that order. "
       "For each batch compute the loss and gradients, then update; record the loss from "
       "before the update.")
_LAST_BATCH = Message(
    zh="N 不是 B 的整数倍时，最后一个批量较小（range(0, N, B) 会自动处理），不要丢掉它。",
    en="When N is not a multiple of B the last batch is smaller (range(0, N, B) handles it); "
       "do not drop it.")


def _mlp_params(rng, sizes, dtype=np.float64, scale: float | None = None):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(fan_in) if scale is None else scale
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(dtype))
        params.append(rng.uniform(-bound, bound, fan_out).astype(dtype))
    return params


def _frozen_list(arrays):
    return [_frozen(a) for a in arrays]


def _sgd_cases(rng: np.random.Generator) -> list[Case]:
    def like(params, scale=1.0):
        return [(rng.standard_normal(p.shape) * scale).astype(p.dtype) for p in params]

    D, H, C = (int(v) for v in rng.integers(2, 7, size=3))
    two_layer = _mlp_params(rng, [D, H, C])
    single = [rng.standard_normal((int(rng.integers(2, 6)), int(rng.integers(2, 6))))]
    float32 = _mlp_params(rng, [D, H, C], dtype=np.float32)
    deep = _mlp_params(rng, [D, 5, 4, 3, C])
    tiny = _mlp_params(rng, [1, 1])
    large_lr = _mlp_params(rng, [D, C])
    cases = [
        (two_layer, like(two_layer), float(rng.uniform(0.01, 1.0)),
         Message(zh="两层网络的参数 [W1, b1, W2, b2]", en="the parameters of a two-layer "
                 "network [W1, b1, W2, b2]"), None),
        (single, like(single), float(rng.uniform(0.01, 1.0)),
         Message(zh="只有一个参数（一个矩阵）的列表", en="a list with a single parameter "
                 "(one matrix)"), None),
        (float32, like(float32), float(rng.uniform(0.01, 1.0)),
         Message(zh="float32 的参数和梯度", en="float32 parameters and gradients"), _DTYPE),
        (two_layer, like(two_layer, scale=1e4), 1e-4,
         Message(zh="巨大的梯度（约 10⁴）配上很小的学习率", en="huge gradients (about 10⁴) "
                 "with a tiny learning rate"), None),
        (deep, like(deep), float(rng.uniform(0.01, 1.0)),
         Message(zh="很多参数（四层网络，8 个数组）", en="many parameters (a four-layer "
                 "network, 8 arrays)"), None),
        (tiny, like(tiny), float(rng.uniform(0.01, 1.0)),
         Message(zh="最小的网络：1×1 的权重和形状 (1,) 的偏置", en="the smallest network: "
                 "a 1×1 weight and a bias of shape (1,)"), None),
        (large_lr, like(large_lr), 5.0,
         Message(zh="较大的学习率（lr = 5）", en="a large learning rate (lr = 5)"), None),
        (two_layer, [np.zeros_like(p) for p in two_layer], float(rng.uniform(0.01, 1.0)),
         Message(zh="全为零的梯度（参数应保持不变）", en="all-zero gradients (the parameters "
                 "must stay as they are)"), None),
    ]
    return [Case((_frozen_list(params), _frozen_list(grads), lr), kind, hint=hint)
            for params, grads, lr, kind, hint in cases]


def _labels(rng, n: int, num_classes: int) -> np.ndarray:
    # every class present when possible, in a random order
    y = np.arange(n) % num_classes
    return rng.permutation(y).astype(np.int64)


def _train_cases(rng: np.random.Generator) -> list[Case]:
    from ...nn.data import make_spiral

    def data(n, d, c, dtype=np.float64):
        return rng.standard_normal((n, d)).astype(dtype), _labels(rng, n, c)

    def generator():
        return np.random.default_rng(int(rng.integers(2**31)))

    D, H, C = int(rng.integers(2, 6)), int(rng.integers(3, 9)), int(rng.integers(2, 5))
    X_odd, y_odd = data(int(rng.integers(11, 30)), D, C)
    while X_odd.shape[0] % 4 == 0:  # keep a smaller last batch
        X_odd, y_odd = data(int(rng.integers(11, 30)), D, C)
    X_even, y_even = data(24, D, C)
    X_one, y_one = data(5, D, C)
    X_full, y_full = data(12, D, C)
    X_32, y_32 = data(20, D, C, np.float32)
    X_spiral, y_spiral = make_spiral(n_per_class=10, num_classes=3,
                                     seed=int(rng.integers(1000)))
    rows = [
        (_mlp_params(rng, [D, H, C]), X_even, y_even, 0.3, 6,
         Message(zh="N 恰好是 batch_size 的整数倍", en="N is an exact multiple of batch_size"),
         _ORDER),
        (_mlp_params(rng, [D, H, C]), X_odd, y_odd, 0.5, 4,
         Message(zh="N 不是 batch_size 的整数倍（最后一个批量较小）",
                 en="N is not a multiple of batch_size (a smaller last batch)"), _LAST_BATCH),
        (_mlp_params(rng, [D, H, C]), X_one, y_one, 0.1, 1,
         Message(zh="batch_size = 1（每个样本走一步）", en="batch_size = 1 (one step per example)"),
         _ORDER),
        (_mlp_params(rng, [D, H, C]), X_full, y_full, 0.5, 64,
         Message(zh="batch_size 大于 N（整批只走一步）",
                 en="batch_size larger than N (a single full-batch step)"), _LAST_BATCH),
        (_mlp_params(rng, [D, C]), X_even, y_even, 0.5, 8,
         Message(zh="没有隐藏层的网络 [W1, b1]（softmax 回归）",
                 en="a network without hidden layer [W1, b1] (softmax regression)"), _ORDER),
        (_mlp_params(rng, [D, H, 5, C]), X_odd, y_odd, 0.2, 5,
         Message(zh="两个隐藏层的网络", en="a network with two hidden layers"), _ORDER),
        (_mlp_params(rng, [D, H, C], dtype=np.float32), X_32, y_32, 0.5, 8,
         Message(zh="float32 的参数和数据", en="float32 parameters and data"), _DTYPE),
        (_mlp_params(rng, [2, 8, 3]), X_spiral, y_spiral, 1.0, 7,
         Message(zh="螺旋数据集中的 30 个点", en="30 points of the spiral data set"), _ORDER),
    ]
    return [Case((_frozen_list(params), _frozen(X), _frozen(y), lr, batch_size, generator()),
                 kind, hint=hint)
            for params, X, y, lr, batch_size, kind, hint in rows]


def _moved(sign: float, learning_rate: bool = True):
    """What a step gives when it moves ``sign`` times the gradient, scaled by lr or not."""
    def mistake(expected, case):
        params, grads, lr = case.args
        rate = lr if learning_rate else 1.0
        return [np.asarray(p, dtype=np.float64) + sign * rate * np.asarray(g, dtype=np.float64)
                for p, g in zip(params, grads)]
    return mistake


def _every(seen):
    """A symptom of a list of arrays: ``seen`` on each entry with the matching expected one."""
    def every(got, expected, case):
        wrong = seen(expected, case)
        return (len(got) == len(expected)
                and all(close(g, w, case, like=e) for g, w, e in zip(got, wrong, expected))
                and not all(close(e, w, case) for e, w in zip(expected, wrong)))
    return every


_SGD_SYMPTOMS = (
    Symptom(_every(_moved(+1.0)),
            Message(zh="你的参数沿着梯度的方向移动了，损失会因此变大：梯度下降要往相反的方向走。",
                    en="Your parameters moved along the gradient, which makes the loss grow: "
                       "gradient descent goes the opposite way.")),
    Symptom(_every(_moved(-1.0, learning_rate=False)),
            Message(zh="你的参数移动了整整一个梯度：学习率 lr 决定每一步走多远。",
                    en="Your parameters moved by a whole gradient: the learning rate lr decides "
                       "how far each step goes.")),
    Symptom(_every(_moved(0.0)),
            Message(zh="你返回的参数和原来的一样，没有移动。",
                    en="The parameters you returned are the ones you were given: they did not "
                       "move.")),
)


def _first_loss_right_later_wrong(got, expected, case):
    wanted = expected[1]
    losses = np.asarray(got[1], dtype=np.float64).ravel().astype(wanted.dtype)
    return (losses.size == wanted.size > 1 and close(losses[:1], wanted[:1], case)
            and not close(losses, wanted, case))


def _first_loss_wrong(got, expected, case):
    wanted = expected[1]
    losses = np.asarray(got[1], dtype=np.float64).ravel().astype(wanted.dtype)
    return losses.size == wanted.size and not close(losses[:1], wanted[:1], case)


_TRAIN_SYMPTOMS = (
    Symptom(_first_loss_right_later_wrong,
            Message(zh="第一个批量的损失对了，后面的不对：问题出在更新上。检查每一步的梯度和更新，"
                       "以及下一个批量是否用了更新之后的参数。",
                    en="The first batch's loss is right and later ones are not: the trouble is in "
                       "the updates. Check each step's gradients and update, and that the next "
                       "batch uses the updated parameters.")),
    Symptom(_first_loss_wrong,
            Message(zh="第一个批量的损失就不对：检查批量的顺序（一轮只打乱一次，用传入的 rng），"
                       "以及损失是否在更新之前计算。",
                    en="The very first batch's loss is wrong: check the batch order (one "
                       "shuffle per epoch, with the rng you are given) and that each loss is "
                       "computed before its update.")),
)


SGD_STEP = register(Exercise(
    id="sgd_step",
    lesson="07_training",
    function="sgd_step",
    points=1,
    title=Message(zh="一步梯度下降", en="One step of gradient descent"),
    cases=_sgd_cases,
    expected=_expected_sgd_step,
    reference=sgd_step,
    forbidden=_SHORTCUTS,
    hint=_STEP_TASK,
    compare=_compare_sgd_step,
    symptoms=_SGD_SYMPTOMS,
))

TRAIN_EPOCH = register(Exercise(
    id="train_epoch",
    lesson="07_training",
    function="train_epoch",
    points=3,
    title=Message(zh="一轮小批量 SGD", en="One epoch of mini-batch SGD"),
    cases=_train_cases,
    expected=_expected_train_epoch,
    reference=train_epoch,
    forbidden=_SHORTCUTS,
    hint=_ORDER,
    compare=_compare_train_epoch,
    symptoms=_TRAIN_SYMPTOMS,
))



# ---------------------------------------------------------------------------
# L2 regularisation (weight decay)

def l2_loss_and_grads(params, X, y, lam):
    r"""Mean cross-entropy plus an L2 penalty on the weights, and its gradients.

    平均交叉熵加上权重的 L2 惩罚项，以及它对每个参数的梯度。

    .. math::  L_\lambda = L + \frac{\lambda}{2} \sum_l \lVert W_l \rVert_F^2

    Only the weights ``W_l`` are penalised, not the biases: the gradient of every
    weight gains :math:`\lambda W_l` and the bias gradients are those of :math:`L`.
    This is what ``torch.optim.SGD(..., weight_decay=λ)`` does when the biases sit
    in a parameter group with ``weight_decay=0``.
    """
    params, X, y = _check_model(params, X, y)
    if isinstance(lam, (bool, np.bool_)) or not isinstance(lam, (int, float, np.integer,
                                                                   np.floating)) \
            or not np.isfinite(lam) or lam < 0:
        raise CourseValueError(
            zh="参数 lam 应为非负实数，收到的是 {got!r}。",
            en="lam must be a non-negative real number, got {got!r}.", got=lam)
    loss, grads = _loss_and_grads(params, X, y)
    weights = params[0::2]
    penalty = 0.5 * lam * sum(float(np.sum(W.astype(np.float64) ** 2)) for W in weights)
    grads = [g + lam * p if index % 2 == 0 else g
             for index, (p, g) in enumerate(zip(params, grads))]
    grads = [g.astype(p.dtype, copy=False) for p, g in zip(params, grads)]
    return loss + penalty, grads


def _expected_l2(params, X, y, lam):
    import torch

    dtype = _torch_dtype(params[0])
    tensors = [torch.tensor(np.array(p), dtype=dtype, requires_grad=True) for p in params]
    logits = _forward_torch(tensors, torch.tensor(np.array(X), dtype=dtype))
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(np.asarray(y), dtype=torch.int64))
    loss = loss + 0.5 * lam * sum((W ** 2).sum() for W in tensors[0::2])
    grads = torch.autograd.grad(loss, tensors)
    return (np.asarray(loss.item(), dtype=np.asarray(X).dtype),
            [g.detach().numpy() for g in grads])


def _compare_l2(got, expected, case) -> Mismatch | None:
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        return Mismatch(Message(
            zh="应返回一对 (loss, grads)：正则化后的损失和梯度列表，实际返回了 {got}。",
            en="should return a pair (loss, grads): the regularised loss and the list of "
               "gradients; got {got}.", got=describe(got)))
    loss, grads = got
    try:
        loss_value = np.asarray(float(loss))
    except (TypeError, ValueError):
        return Mismatch(Message(zh="loss 应为一个数，实际是 {got}。",
                                en="loss should be a number, got {got}.", got=describe(loss)))
    expected_loss, expected_grads = expected
    found = default_compare(loss_value, expected_loss.astype(np.float64),
                            replace(case, check_dtype=False, rtol=case.rtol or _rtol(expected_loss),
                                    atol=case.atol or _atol(expected_loss)),
                            where="loss: ")
    if found is not None:
        return found
    return compare_array_list(grads, expected_grads, case, "grads")


_PENALTY = Message(
    zh="回到推导任务 2：写出惩罚项对 W 和对 b 的导数，再加到原来的梯度上；惩罚项前面的系数就用本课定义的那一个。",
    en="Back to derivation task 2: differentiate the penalty with respect to W and to b, and "
       "add that to the gradients you had; the factor in front of the penalty is the one the "
       "lesson defines.")
_BIASES_NOT_DECAYED = Message(
    zh="这里偏置很大：如果把偏置也算进惩罚项，损失和 db 都会不对。params 中下标为偶数的是权重，"
       "奇数的是偏置。",
    en="The biases are large here: penalising them too makes both the loss and db wrong. In "
       "params the even positions hold weights and the odd ones biases.")
_LAMBDA_ZERO = Message(
    zh="λ = 0 时结果必须与 loss_and_grads 完全相同。",
    en="With λ = 0 the result must be exactly that of loss_and_grads.")


def _unregularised(got, expected, case):
    loss, _ = _loss_and_grads([np.asarray(p, dtype=np.float64) for p in case.args[0]],
                              np.asarray(case.args[1], dtype=np.float64),
                              np.asarray(case.args[2]))
    return case.args[3] > 0 and close(float(got[0]), loss, case)


def _penalty_scaled(factor: float, in_loss: bool):
    """The loss's penalty (``in_loss``) or the weights' extra gradient ``factor`` times too big."""
    def seen(got, expected, case):
        params, X, y, lam = case.args
        arrays = [np.asarray(p, dtype=np.float64) for p in params]
        loss, grads = _loss_and_grads(arrays, np.asarray(X, dtype=np.float64), np.asarray(y))
        if lam == 0:
            return False
        if in_loss:
            return close(float(got[0]), loss + factor * (float(expected[0]) - loss), case)
        return all(close(got[1][i], grads[i] + factor * (expected[1][i] - grads[i]), case,
                         like=expected[1][i])
                   for i in range(0, len(arrays), 2))
    return seen


def _biases_penalised(got, expected, case):
    params, X, y, lam = case.args
    arrays = [np.asarray(p, dtype=np.float64) for p in params]
    _, grads = _loss_and_grads(arrays, np.asarray(X, dtype=np.float64), np.asarray(y))
    return lam > 0 and all(close(got[1][i], grads[i] + lam * arrays[i], case, like=expected[1][i])
                           for i in range(1, len(arrays), 2))


_L2_SYMPTOMS = (
    Symptom(_biases_penalised,
            Message(zh="你的偏置梯度也加上了惩罚项，而偏置不受惩罚：它们的梯度应保持不变。"
                       "params 中下标为偶数的是权重，奇数的是偏置。",
                    en="Your bias gradients got the penalty too, but biases are not penalised: "
                       "their gradients stay as they are. In params the even positions hold "
                       "weights and the odd ones biases.")),
    Symptom(_unregularised,
            Message(zh="你的损失等于没有正则化的损失：惩罚项还没有加上。",
                    en="Your loss equals the loss without regularisation: the penalty is not "
                       "added yet.")),
    Symptom(_penalty_scaled(2.0, in_loss=True),
            Message(zh="你的损失里的惩罚项是正确值的 2 倍：检查惩罚项前面的系数。",
                    en="The penalty in your loss is twice the right one: check the factor in "
                       "front of the penalty.")),
    Symptom(_penalty_scaled(2.0, in_loss=False),
            Message(zh="你的权重梯度里多出来的那一项是正确值的 2 倍：对平方求导时，惩罚项前面的系数怎样变化？",
                    en="The extra term in your weight gradients is twice the right one: what "
                       "happens to the factor in front of the penalty when you differentiate the "
                       "square?")),
    Symptom(_penalty_scaled(0.5, in_loss=False),
            Message(zh="你的权重梯度里多出来的那一项只有正确值的一半：对平方求导时，惩罚项前面的系数怎样变化？",
                    en="The extra term in your weight gradients is half the right one: what "
                       "happens to the factor in front of the penalty when you differentiate the "
                       "square?")),
)


def _l2_cases(rng: np.random.Generator) -> list[Case]:
    def data(n, d, c, dtype=np.float64):
        return rng.standard_normal((n, d)).astype(dtype), _labels(rng, n, c)

    D, H, C = int(rng.integers(2, 6)), int(rng.integers(3, 8)), int(rng.integers(2, 5))
    big_bias = _mlp_params(rng, [D, H, C])
    big_bias[1] = big_bias[1] + 5.0
    big_bias[3] = big_bias[3] - 5.0
    rows = [
        (_mlp_params(rng, [D, H, C]), data(12, D, C), float(rng.uniform(0.01, 0.5)),
         Message(zh="两层网络，随机的 λ", en="a two-layer network with a random λ"), _PENALTY),
        (_mlp_params(rng, [D, H, C]), data(12, D, C), 0.0,
         Message(zh="λ = 0（没有正则化）", en="λ = 0 (no regularisation)"), _LAMBDA_ZERO),
        (big_bias, data(10, D, C), 0.3,
         Message(zh="偏置很大的网络", en="a network with large biases"), _BIASES_NOT_DECAYED),
        (_mlp_params(rng, [D, C]), data(10, D, C), 0.1,
         Message(zh="没有隐藏层的网络 [W1, b1]", en="a network without hidden layer [W1, b1]"),
         _PENALTY),
        (_mlp_params(rng, [D, H, 5, C]), data(9, D, C), 0.05,
         Message(zh="两个隐藏层的网络（三个权重矩阵都要惩罚）",
                 en="a network with two hidden layers (all three weight matrices are "
                    "penalised)"), _PENALTY),
        (_mlp_params(rng, [D, H, C], scale=3.0), data(1, D, C), 10.0,
         Message(zh="很大的 λ（= 10）和只有一个样本的批量",
                 en="a large λ (= 10) and a batch of one example"), _PENALTY),
        (_mlp_params(rng, [D, H, C], dtype=np.float32), data(16, D, C, np.float32), 0.2,
         Message(zh="float32 的参数和数据", en="float32 parameters and data"), _DTYPE),
    ]
    return [Case((_frozen_list(params), _frozen(X), _frozen(y), lam), kind, hint=hint)
            for params, (X, y), lam, kind, hint in rows]


L2_LOSS_AND_GRADS = register(Exercise(
    id="l2_loss_and_grads",
    lesson="07_training",
    function="l2_loss_and_grads",
    points=2,
    title=Message(zh="L2 正则化：损失与梯度", en="L2 regularisation: the loss and its gradients"),
    cases=_l2_cases,
    expected=_expected_l2,
    reference=l2_loss_and_grads,
    forbidden=_SHORTCUTS,
    hint=_PENALTY,
    compare=_compare_l2,
    symptoms=_L2_SYMPTOMS,
))


# ---------------------------------------------------------------------------
# Early stopping on a validation set

def fit_early_stopping(params, X_train, y_train, X_val, y_val, lr, batch_size, max_epochs,
                       patience, rng):
    r"""Train epoch by epoch; keep the parameters with the lowest validation loss.

    逐轮训练；保留验证损失最低时的参数，连续 ``patience`` 轮没有改进就停止。

    After every epoch (one :func:`train_epoch` with the same ``rng``) the mean
    cross-entropy on the validation set is recorded. An epoch improves when its
    validation loss is strictly lower than the best so far. Training stops after
    ``max_epochs`` epochs, or as soon as ``patience`` epochs have passed since the
    best one.

    Returns
    -------
    best_params : list of ndarray
        The parameters after the best epoch.
    val_losses : list of float
        The validation loss after every epoch that was run.
    best_epoch : int
        The number (1, 2, ...) of the best epoch.
    """
    params, X_train, y_train = _check_model(params, X_train, y_train)
    _, X_val, y_val = _check_model(params, X_val, y_val)
    max_epochs = check_integer(max_epochs, "max_epochs", minimum=1)
    patience = check_integer(patience, "patience", minimum=1)
    best_loss, best_epoch, best_params = np.inf, 0, params
    val_losses: list[float] = []
    for epoch in range(1, int(max_epochs) + 1):
        params, _ = train_epoch(params, X_train, y_train, lr, batch_size, rng)
        val_loss = _loss_and_grads(params, X_val, y_val)[0]
        val_losses.append(val_loss)
        if val_loss < best_loss:
            best_loss, best_epoch, best_params = val_loss, epoch, params
        elif epoch - best_epoch >= patience:
            break
    return best_params, val_losses, best_epoch


def _expected_early_stopping(params, X_train, y_train, X_val, y_val, lr, batch_size,
                             max_epochs, patience, rng):
    import torch

    dtype = _torch_dtype(params[0])
    tensors = [torch.tensor(np.array(p), dtype=dtype, requires_grad=True) for p in params]
    inputs = torch.tensor(np.array(X_train), dtype=dtype)
    labels = torch.tensor(np.asarray(y_train), dtype=torch.int64)
    val_inputs = torch.tensor(np.array(X_val), dtype=dtype)
    val_labels = torch.tensor(np.asarray(y_val), dtype=torch.int64)
    best_loss, best_epoch = np.inf, 0
    best = [tensor.detach().clone() for tensor in tensors]
    val_losses = []
    for epoch in range(1, max_epochs + 1):
        _torch_epoch(tensors, inputs, labels, lr, batch_size, rng)
        with torch.no_grad():
            val_loss = torch.nn.functional.cross_entropy(_forward_torch(tensors, val_inputs),
                                                         val_labels).item()
        val_losses.append(val_loss)
        if val_loss < best_loss:
            best_loss, best_epoch = val_loss, epoch
            best = [tensor.detach().clone() for tensor in tensors]
        elif epoch - best_epoch >= patience:
            break
    return ([tensor.numpy() for tensor in best], np.array(val_losses, dtype=np.asarray(X_train).dtype),
            best_epoch)


def _compare_early_stopping(got, expected, case) -> Mismatch | None:
    if not isinstance(got, (list, tuple)) or len(got) != 3:
        return Mismatch(Message(
            zh="应返回 (best_params, val_losses, best_epoch) 三个值，实际返回了 {got}。",
            en="should return three values (best_params, val_losses, best_epoch), got {got}.",
            got=describe(got)))
    best_params, val_losses, best_epoch = got
    expected_params, expected_losses, expected_epoch = expected
    try:
        loss_array = np.asarray(val_losses, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return Mismatch(Message(
            zh="val_losses 应为数字组成的列表（每轮一个），实际是 {got}。",
            en="val_losses should be a list of numbers (one per epoch), got {got}.",
            got=describe(val_losses)))
    if loss_array.size != expected_losses.size:
        return Mismatch(Message(
            zh="训练的轮数不对：应在第 {want} 轮后停止，实际记录了 {got} 轮的验证损失。"
               "最好的一轮之后再等 patience = {patience} 轮仍没有改进才停止。",
            en="wrong number of epochs: training should stop after epoch {want}, but {got} "
               "validation losses were recorded. Stop once patience = {patience} epochs have "
               "passed since the best one without improvement.",
            want=expected_losses.size, got=loss_array.size, patience=case.args[8]))
    found = default_compare(loss_array, expected_losses.astype(np.float64),
                            replace(case, check_dtype=False, rtol=_rtol(expected_losses),
                                    atol=_atol(expected_losses)), where="val_losses: ")
    if found is not None:
        return found
    if isinstance(best_epoch, (bool, np.bool_)) or not isinstance(best_epoch, (int, np.integer)) \
            or int(best_epoch) != expected_epoch:
        return Mismatch(Message(
            zh="best_epoch 应为验证损失最低的那一轮的编号（从 1 开始）{want}，实际是 {got!r}。",
            en="best_epoch should be the number (counting from 1) of the epoch with the lowest "
               "validation loss, {want}; got {got!r}.", want=expected_epoch, got=best_epoch))
    return compare_array_list(best_params, expected_params, case, "best_params")


_EARLY_STOP = Message(
    zh="每轮：train_epoch 训练一轮（用同一个 rng），再算验证集上的平均交叉熵并记下。"
       "比目前最好的严格更低才算改进，这时保存参数和轮次编号；否则如果距最好的一轮已经过了 "
       "patience 轮，就停止。返回最好一轮的参数，而不是最后一轮的。",
    en="Every epoch: one train_epoch (with the same rng), then the mean cross-entropy on the "
       "validation set, recorded. Only a strictly lower loss than the best so far is an "
       "improvement: then keep the parameters and the epoch number; otherwise stop once "
       "patience epochs have passed since the best one. Return the best epoch's parameters, "
       "not the last ones.")
_TIES = Message(
    zh="验证损失与目前最好的相等时不算改进（用 <，不是 <=）。",
    en="A validation loss equal to the best so far is not an improvement (use <, not <=).")


def _early_cases(rng: np.random.Generator) -> list[Case]:
    from ...nn.data import make_spiral

    def generator():
        return np.random.default_rng(int(rng.integers(2**31)))

    def data(n, d, c, dtype=np.float64):
        return rng.standard_normal((n, d)).astype(dtype), _labels(rng, n, c)

    D, H, C = int(rng.integers(2, 5)), int(rng.integers(3, 8)), int(rng.integers(2, 4))
    X_s, y_s = make_spiral(n_per_class=8, num_classes=3, seed=int(rng.integers(1000)))
    X_v, y_v = make_spiral(n_per_class=5, num_classes=3, seed=int(rng.integers(1000, 2000)))
    X_tr, y_tr = data(20, D, C)
    X_one, y_one = data(12, D, 1)
    X_32, y_32 = data(16, D, C, np.float32)
    X_32v, y_32v = data(8, D, C, np.float32)
    rows = [
        (_mlp_params(rng, [2, 8, 3]), X_s, y_s, X_v, y_v, 0.5, 6, 6, 2,
         Message(zh="螺旋数据，验证损失一路下降（训练到 max_epochs）",
                 en="spiral data whose validation loss keeps falling (runs to max_epochs)"),
         _EARLY_STOP),
        (_mlp_params(rng, [D, H, C]), X_tr, y_tr, X_tr, (y_tr + 1) % C, 0.5, 5, 10, 2,
         Message(zh="验证集的标签与训练集相反：验证损失从一开始就上升",
                 en="validation labels that contradict the training labels: the validation "
                    "loss rises from the start"), _EARLY_STOP),
        (_mlp_params(rng, [D, H, C]), X_tr, y_tr, X_tr, (y_tr + 1) % C, 0.5, 5, 10, 1,
         Message(zh="耐心值 patience = 1（没有改进就立刻停止）",
                 en="patience = 1 (stop at the first epoch without improvement)"), _EARLY_STOP),
        (_mlp_params(rng, [D, H, C]), X_tr, y_tr, *data(10, D, C), 0.3, 7, 3, 50,
         Message(zh="patience 大于 max_epochs", en="patience larger than max_epochs"),
         _EARLY_STOP),
        (_mlp_params(rng, [D, H, 1]), X_one, y_one, *data(6, D, 1), 0.5, 4, 8, 2,
         Message(zh="只有一个类别：每一轮的验证损失都是 0（相等不算改进）",
                 en="a single class: every validation loss is 0 (a tie is no improvement)"),
         _TIES),
        (_mlp_params(rng, [D, H, C]), X_tr, y_tr, *data(10, D, C), 0.5, 64, 5, 2,
         Message(zh="batch_size 大于训练样本数", en="batch_size larger than the training set"),
         _EARLY_STOP),
        (_mlp_params(rng, [D, H, C], dtype=np.float32), X_32, y_32, X_32v, y_32v, 0.5, 4, 5, 2,
         Message(zh="float32 的参数和数据", en="float32 parameters and data"), _DTYPE),
    ]
    return [Case((_frozen_list(params), _frozen(X_a), _frozen(y_a), _frozen(X_b), _frozen(y_b),
                  lr, batch, epochs, patience, generator()), kind, hint=hint)
            for params, X_a, y_a, X_b, y_b, lr, batch, epochs, patience, kind, hint in rows]


EARLY_STOPPING = register(Exercise(
    id="fit_early_stopping",
    lesson="07_training",
    function="fit_early_stopping",
    points=3,
    title=Message(zh="验证集上的早停", en="Early stopping on a validation set"),
    cases=_early_cases,
    expected=_expected_early_stopping,
    reference=fit_early_stopping,
    forbidden=_SHORTCUTS,
    hint=_EARLY_STOP,
    compare=_compare_early_stopping,
))
