r"""Classification losses: negative log-likelihood and cross-entropy, with their gradient.

分类损失：负对数似然与交叉熵，以及交叉熵对 logits 的梯度。

The public functions follow ``torch.nn.functional.nll_loss`` and
``torch.nn.functional.cross_entropy`` option for option (``weight``,
``ignore_index``, ``reduction``, ``label_smoothing``, class-index or
probability targets), for input of shape (N, C) or a single example (C,).
``cross_entropy`` is built from the pieces, as the formula says:

.. math::
    \mathrm{cross\_entropy}(z, y) = \mathrm{nll\_loss}(\mathrm{log\_softmax}(z), y)

Where this module deliberately differs from PyTorch (each case is tested):

* an empty batch raises an error (PyTorch returns ``nan``);
* ``nll_loss`` rejects positive entries, because log-probabilities are
  :math:`\le 0`: a positive value means logits or probabilities were passed
  by mistake (PyTorch silently returns a wrong loss);
* with probability targets, a class with target probability 0 contributes
  0 even when its log-probability is ``-inf`` (:math:`0 \log 0 = 0`;
  PyTorch returns ``nan`` there);
* probability targets must be distributions (non-negative, summing to 1),
  class weights must be non-negative.
"""

from __future__ import annotations

import numpy as np

from ..i18n import CourseValueError
from .probability import _log_softmax, _softmax
from .validation import (_from_tensor, as_float_array, as_labels, check_fraction, check_integer,
                         check_probabilities, check_reduction, describe, probability_tolerance)

__all__ = ["nll_loss", "cross_entropy", "cross_entropy_grad"]


# ---------------------------------------------------------------- fast path

def _cross_entropy_index(logits: np.ndarray, target: np.ndarray):
    """Mean cross-entropy and its gradient for class-index targets, unchecked.

    Returns ``(loss, dlogits)``: a Python float and an (N, C) array of the
    logits' dtype, :math:`(\\mathrm{softmax}(z) - \\mathrm{onehot}(y)) / N`.
    """
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    picked = shifted[rows, target]
    np.exp(shifted, out=shifted)
    sums = shifted.sum(axis=1)
    # loss_i = log sum_j exp(z_j - m) - (z_y - m): one exp over (N, C) serves both outputs.
    loss = float(np.mean(np.log(sums) - picked))
    shifted /= sums[:, None]
    shifted[rows, target] -= 1
    shifted *= 1.0 / n
    return loss, shifted


# ---------------------------------------------------------------- checks

def _as_input(x, name: str) -> np.ndarray:
    arr = as_float_array(x, name, min_ndim=1)
    if arr.ndim > 2:
        raise CourseValueError(
            zh="参数 {name} 应为形状 (N, C) 的二维数组或形状 (C,) 的单个样本，"
               "收到的是 {got}。",
            en="{name} must be a 2-D array of shape (N, C) or a single example of "
               "shape (C,), got {got}.",
            name=name, got=describe(arr))
    return arr


def _as_weight(weight, num_classes: int, dtype) -> np.ndarray | None:
    if weight is None:
        return None
    w = as_float_array(weight, "weight", ndim=1)
    if w.shape[0] != num_classes:
        raise CourseValueError(
            zh="参数 weight 应为每个类别一个权重，形状 ({C},)，收到的形状是 {shape}。",
            en="weight must hold one weight per class, shape ({C},), got shape {shape}.",
            C=num_classes, shape=tuple(w.shape))
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise CourseValueError(
            zh="参数 weight 的每个元素都应为非负有限数，收到的是 {values}。",
            en="every entry of weight must be a finite non-negative number, got {values}.",
            values=np.array2string(w, threshold=8))
    return w.astype(dtype, copy=False)


def _index_targets(x: np.ndarray, target, name: str, ignore_index: int):
    """(N, C) input and (N,) int64 labels; a single example (C,) with a scalar label becomes a batch of one."""
    num_classes = x.shape[-1]
    if x.ndim == 1:
        labels = as_labels(target, name, num_classes=num_classes, ignore_index=ignore_index,
                           ndim=None)
        if labels.ndim != 0:
            raise CourseValueError(
                zh="单个样本的输入形状为 ({C},) 时，{name} 应为一个整数标签，"
                   "收到的是 {got}。",
                en="for a single example of shape ({C},), {name} must be one integer "
                   "label, got {got}.",
                C=num_classes, name=name, got=describe(labels))
        return x[None, :], labels[None]
    if np.shape(target) == x.shape and np.asarray(target).dtype.kind in "iub":
        raise CourseValueError(
            zh="{name} 的形状与输入相同 {shape}，但元素是整数。类别索引应为形状 (N,) 的数组"
               "（one-hot 行可用 {name}.argmax(axis=1) 转换）；概率目标应为浮点数"
               "（{name}.astype(float)）。",
            en="{name} has the same shape as the input, {shape}, but holds integers. Class "
               "indices have shape (N,) (turn one-hot rows into them with "
               "{name}.argmax(axis=1)); probability targets must be floats "
               "({name}.astype(float)).",
            name=name, shape=tuple(x.shape))
    labels = as_labels(target, name, num_classes=num_classes, n=x.shape[0],
                       ignore_index=ignore_index)
    return x, labels


def _is_probability_target(x: np.ndarray, target) -> bool:
    if not isinstance(target, np.ndarray):
        try:
            target = np.asarray(target)
        except (ValueError, TypeError):
            return False  # ragged lists: as_labels reports them
    return target.dtype.kind == "f" and target.shape == x.shape


def _check_no_ignore_index(ignore_index: int) -> None:
    # Like PyTorch: a negative value can never match a class and is harmless;
    # a class number would suggest that class is skipped, which it is not.
    if ignore_index >= 0:
        raise CourseValueError(
            zh="ignore_index={ignore} 只适用于类别索引目标；target 是概率分布 (N, C) 时请不要设置它"
               "（要忽略某个样本，把它从批量中去掉即可）。",
            en="ignore_index={ignore} only applies to class-index targets; leave it unset "
               "when target holds probability distributions (N, C) (to skip an example, "
               "remove it from the batch).",
            ignore=ignore_index)


def _probability_targets(x: np.ndarray, target, name: str) -> np.ndarray:
    t = check_probabilities(target, name, axis=-1)
    t = t.astype(x.dtype, copy=False)
    return t if t.ndim == 2 else t[None, :]


def _finish(value, single: bool, reduction: str):
    if reduction == "none" and single:
        return value[0]
    return value


# ---------------------------------------------------------------- pieces

def _target_weights(target: np.ndarray, weight, ignore_index: int, dtype):
    """Per-example weight :math:`w_{y_i}` (0 for ignored examples), safe indices, keep mask."""
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    if weight is None:
        tw = keep.astype(dtype)
    else:
        tw = np.where(keep, weight[safe], 0).astype(dtype, copy=False)
    return tw, safe, keep


def _reduce(losses: np.ndarray, reduction: str, denominator):
    if reduction == "none":
        return losses
    total = losses.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        # 0/0 = nan for a batch whose examples are all ignored, as in PyTorch.
        return total / losses.dtype.type(denominator)


def _nll_loss(log_probs, target, weight, ignore_index, reduction):
    tw, safe, keep = _target_weights(target, weight, ignore_index, log_probs.dtype)
    picked = np.take_along_axis(log_probs, safe[:, None], axis=1)[:, 0]
    with np.errstate(invalid="ignore"):
        losses = np.where(keep, -tw * picked, 0).astype(log_probs.dtype, copy=False)
    losses += 0  # a sure right answer gives -0.0; show it as 0.0
    return _reduce(losses, reduction, tw.sum())


def _smoothing_term(log_probs, target, weight, ignore_index, reduction):
    r""":math:`-\sum_c w_c \log q_c` per example: the cross-entropy with the uniform target (times C)."""
    tw, _, keep = _target_weights(target, weight, ignore_index, log_probs.dtype)
    with np.errstate(invalid="ignore"):
        weighted = log_probs if weight is None else log_probs * weight
        losses = np.where(keep, -weighted.sum(axis=1), 0).astype(log_probs.dtype, copy=False)
    return _reduce(losses, reduction, tw.sum())


def _soft_target_weights(t, weight, label_smoothing):
    num_classes = t.shape[1]
    if label_smoothing > 0:
        t = t * t.dtype.type(1 - label_smoothing) + t.dtype.type(label_smoothing / num_classes)
    return t if weight is None else t * weight


def _soft_cross_entropy(log_probs, t, weight, label_smoothing, reduction):
    q = _soft_target_weights(t, weight, label_smoothing)
    with np.errstate(invalid="ignore"):
        # 0 * log 0 = 0: a class the target rules out costs nothing, even at -inf.
        terms = np.where(q != 0, q * log_probs, 0).astype(log_probs.dtype, copy=False)
    return _reduce(-terms.sum(axis=1), reduction, log_probs.shape[0])


# ---------------------------------------------------------------- public API

def nll_loss(log_probs, target, weight=None, ignore_index: int = -100,
             reduction: str = "mean"):
    r"""Negative log-likelihood: minus the log-probability the model gave the true class.

    负对数似然：模型给真实类别的对数概率，取负号。

    .. math::
        \ell_i = -w_{y_i} \log p_{i, y_i}, \qquad
        L = \frac{\sum_{i} \ell_i}{\sum_{i} w_{y_i}} \ (\text{mean}), \quad
        \sum_i \ell_i \ (\text{sum})

    where examples with ``y_i == ignore_index`` are left out of both sums.

    Parameters
    ----------
    log_probs : array_like, shape (N, C) or (C,)
        Log-probabilities :math:`\log p_{ic}`, e.g. from
        :func:`~mlp_course.nn.probability.log_softmax`. All entries must be
        :math:`\le 0`; to start from logits use :func:`cross_entropy`.
    target : array_like of int, shape (N,) or scalar
        ``target[i] = c`` means example i has class c, ``0 <= c < C``.
    weight : array_like, shape (C,), optional
        A non-negative weight per class (all 1 by default).
    ignore_index : int, default -100
        Examples with this label add nothing to the loss or the mean.
    reduction : {"mean", "sum", "none"}, default "mean"
        "none" returns the per-example losses, shape (N,).

    Returns
    -------
    numpy scalar or numpy.ndarray of shape (N,), dtype of ``log_probs``
        With "mean", a batch whose examples are all ignored gives ``nan``,
        as in PyTorch.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(nll_loss(np.log([[0.5, 0.5], [0.9, 0.1]]), [0, 0])), 6)
    0.399254
    """
    x = _as_input(log_probs, "log_probs")
    target = _from_tensor(target)
    reduction = check_reduction(reduction)
    ignore_index = check_integer(ignore_index, "ignore_index")
    tol = probability_tolerance(x.dtype)
    if np.any(x > tol):
        where = tuple(int(i) for i in np.argwhere(x > tol)[0])
        raise CourseValueError(
            zh="nll_loss 需要对数概率（都 <= 0），但 log_probs 在位置 {pos} 处是正数 {value}。"
               "你是不是传入了 logits 或概率？请先用 log_softmax，或直接用 cross_entropy(logits, target)。",
            en="nll_loss expects log-probabilities (all <= 0), but log_probs has the "
               "positive value {value} at {pos}. Did you pass logits or probabilities? "
               "Apply log_softmax first, or call cross_entropy(logits, target).",
            pos=where, value=float(x[where]))
    batch, labels = _index_targets(x, target, "target", ignore_index)
    w = _as_weight(weight, x.shape[-1], x.dtype)
    return _finish(_nll_loss(batch, labels, w, ignore_index, reduction), x.ndim == 1,
                   reduction)


def cross_entropy(logits, target, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0):
    r"""Cross-entropy between the target and the softmax of the logits.

    目标分布与 logits 的 softmax 之间的交叉熵。

    For class-index targets it is the NLL of the log-softmax; with label
    smoothing :math:`\varepsilon` the target is mixed with the uniform
    distribution over the C classes:

    .. math::
        \ell_i = (1 - \varepsilon)\,\bigl(-w_{y_i} \log q_{i, y_i}\bigr)
               + \frac{\varepsilon}{C} \sum_{c=1}^{C} -w_c \log q_{ic},
        \qquad q_i = \mathrm{softmax}(z_i)

    With probability targets :math:`t_i` (shape (N, C)),
    :math:`\ell_i = -\sum_c w_c\, \tilde t_{ic} \log q_{ic}` with
    :math:`\tilde t = (1-\varepsilon)\, t + \varepsilon / C`.

    "mean" divides by :math:`\sum_i w_{y_i}` over the examples that are not
    ignored for index targets, but by N for probability targets (as PyTorch
    does); ``ignore_index`` applies only to index targets.

    Parameters
    ----------
    logits : array_like, shape (N, C) or (C,)
        Unnormalised scores :math:`z`.
    target : array_like
        Either int class indices, shape (N,) (a scalar for a single example),
        or float probabilities with the same shape as ``logits``.
    weight : array_like, shape (C,), optional
        Non-negative weight per class.
    ignore_index : int, default -100
    reduction : {"mean", "sum", "none"}, default "mean"
    label_smoothing : float in [0, 1], default 0.0

    Returns
    -------
    numpy scalar or numpy.ndarray of shape (N,), dtype of ``logits``

    Examples
    --------
    >>> round(float(cross_entropy([[2.0, 0.0, 0.0]], [0])), 6)
    0.239545
    >>> round(float(cross_entropy([[2.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]])), 6)
    0.239545
    """
    z = _as_input(logits, "logits")
    target = _from_tensor(target)
    reduction = check_reduction(reduction)
    ignore_index = check_integer(ignore_index, "ignore_index")
    label_smoothing = check_fraction(label_smoothing, "label_smoothing")
    w = _as_weight(weight, z.shape[-1], z.dtype)
    single = z.ndim == 1
    if _is_probability_target(z, target):
        _check_no_ignore_index(ignore_index)
        t = _probability_targets(z, target, "target")
        with np.errstate(invalid="ignore"):
            log_probs = _log_softmax(z if not single else z[None, :], axis=1)
        return _finish(_soft_cross_entropy(log_probs, t, w, label_smoothing, reduction),
                       single, reduction)
    batch, labels = _index_targets(z, target, "target", ignore_index)
    with np.errstate(invalid="ignore"):
        log_probs = _log_softmax(batch, axis=1)
    loss = _nll_loss(log_probs, labels, w, ignore_index, reduction)
    if label_smoothing > 0:
        smooth = _smoothing_term(log_probs, labels, w, ignore_index, reduction)
        eps, num_classes = z.dtype.type(label_smoothing), z.shape[-1]
        loss = (1 - eps) * loss + smooth * (eps / num_classes)
    return _finish(loss, single, reduction)


def cross_entropy_grad(logits, target, weight=None, ignore_index: int = -100,
                       reduction: str = "mean", label_smoothing: float = 0.0) -> np.ndarray:
    r"""The gradient of :func:`cross_entropy` with respect to the logits: softmax minus target.

    :func:`cross_entropy` 对 logits 的梯度：softmax 减去目标分布。

    Write the (weighted, smoothed) target of example i as a vector
    :math:`r_i` — for a plain class-index target :math:`r_i` is the one-hot
    vector of :math:`y_i`. Then

    .. math::
        \frac{\partial \ell_i}{\partial z_i}
        = \Bigl(\sum_c r_{ic}\Bigr)\, \hat y_i - r_i,
        \qquad \hat y_i = \mathrm{softmax}(z_i)

    which is :math:`\hat y_i - y_i` without weights. With "mean" the rows are
    divided by the same denominator as the loss (:math:`\sum_i w_{y_i}` or
    N); with "none", row i is :math:`\partial \ell_i / \partial z_i` (the
    gradient of the sum of the per-example losses). Ignored examples get a
    zero row; if the denominator is 0 every other row is ``nan``, as in
    PyTorch.

    Parameters
    ----------
    Same as :func:`cross_entropy`.

    Returns
    -------
    numpy.ndarray, shape (N, C) (or (C,)), dtype of ``logits``

    Examples
    --------
    >>> cross_entropy_grad([[0.0, 0.0]], [1])
    array([[ 0.5, -0.5]])
    """
    z = _as_input(logits, "logits")
    target = _from_tensor(target)
    reduction = check_reduction(reduction)
    ignore_index = check_integer(ignore_index, "ignore_index")
    label_smoothing = check_fraction(label_smoothing, "label_smoothing")
    w = _as_weight(weight, z.shape[-1], z.dtype)
    single = z.ndim == 1
    batch = z[None, :] if single else z
    num_classes = z.shape[-1]
    eps = z.dtype.type(label_smoothing)
    if _is_probability_target(z, target):
        _check_no_ignore_index(ignore_index)
        r = _soft_target_weights(_probability_targets(z, target, "target"), w,
                                 label_smoothing)
        keep = np.ones(batch.shape[0], dtype=bool)
        denominator = batch.shape[0]
    else:
        batch, labels = _index_targets(z, target, "target", ignore_index)
        tw, safe, keep = _target_weights(labels, w, ignore_index, z.dtype)
        # r_i = (1 - eps) w_{y_i} onehot(y_i) + (eps / C) w, and 0 for ignored rows
        r = np.zeros_like(batch)
        if label_smoothing > 0:
            r[keep] = (eps / num_classes) * (1 if w is None else w)
        r[np.arange(batch.shape[0]), safe] += (1 - eps) * tw
        denominator = tw.sum()
    with np.errstate(invalid="ignore"):
        grad = _softmax(batch, axis=1) * r.sum(axis=1, keepdims=True) - r
    if reduction == "mean":
        if denominator == 0:
            # PyTorch: the mean's 0/0 makes every kept row nan; ignored rows stay 0.
            grad[keep] = np.nan
        else:
            grad /= z.dtype.type(denominator)
    return grad[0] if single else grad
