"""The bridge between :class:`~mlp_course.nn.mlp.MLP` and ``torch.nn.Sequential``.

MLP 与 PyTorch ``torch.nn.Sequential`` 之间的转换（参数都是副本）。

An MLP ``[D, H, ..., C]`` with activation ``f`` is the PyTorch model
``Sequential(Linear(D, H), F(), ..., Linear(., C))``: the same ``W`` (out, in)
and ``b``, so both compute the same logits and gradients, which is how the
lessons check the numpy code with autograd. PyTorch is imported inside the
functions: importing this module (or the MLP) needs numpy only.
"""

from __future__ import annotations

import numpy as np

from ..i18n import CourseTypeError, CourseValueError

__all__ = ["to_torch", "read_torch", "from_torch", "load_torch", "TORCH_ACTIVATIONS"]

TORCH_ACTIVATIONS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}


def to_torch(model):
    """An equivalent ``torch.nn.Sequential`` (Linear, activation, ..., Linear) with copies of the parameters.

    转换成等价的 ``torch.nn.Sequential``（参数为副本），可用 autograd 核对。
    """
    import torch

    torch_dtype = torch.float64 if model.dtype == np.float64 else torch.float32
    activation = getattr(torch.nn, TORCH_ACTIVATIONS[model.activation])
    modules = []
    for l, (W, b) in enumerate(zip(model.W, model.b)):
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch_dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))
            linear.bias.copy_(torch.from_numpy(b))
        modules.append(linear)
        if l < model.num_layers - 1:
            modules.append(activation())
    return torch.nn.Sequential(*modules)


def read_torch(sequential):
    """(sizes, activation, dtype, weights, biases) of a Linear/activation Sequential.

    读出 Sequential 的结构与参数副本；结构不符合时给出清楚的错误。
    """
    import torch

    if not isinstance(sequential, torch.nn.Sequential):
        raise CourseTypeError(
            zh="参数 sequential 应为 torch.nn.Sequential，收到的是 {got}。",
            en="sequential must be a torch.nn.Sequential, got {got}.",
            got=type(sequential).__name__)
    modules = list(sequential)
    by_class = {getattr(torch.nn, name): key for key, name in TORCH_ACTIVATIONS.items()}
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


def from_torch(cls, sequential):
    """A new ``cls`` (an MLP) with the architecture and copied parameters of ``sequential``.

    由 ``torch.nn.Sequential`` 构造一个结构和参数都相同的 MLP（参数为副本）。
    """
    sizes, activation, dtype, weights, biases = read_torch(sequential)
    model = cls(sizes, activation=activation, dtype=dtype)
    model.W = [np.asfortranarray(W) for W in weights]
    model.b = biases
    return model


def load_torch(model, sequential):
    """Copy the parameters of an equivalent ``torch.nn.Sequential`` into ``model``; return it.

    把结构相同的 ``torch.nn.Sequential`` 的参数复制到模型中（原地修改并返回该模型）。
    """
    sizes, activation, dtype, weights, biases = read_torch(sequential)
    if tuple(sizes) != model.sizes or (len(sizes) > 2 and activation != model.activation):
        raise CourseValueError(
            zh="sequential 的结构 {got} 与本模型 {expected} 不同。",
            en="sequential's architecture {got} differs from this model's {expected}.",
            got=f"{sizes} {activation}", expected=f"{list(model.sizes)} {model.activation}")
    for l in range(model.num_layers):
        model.W[l][...] = weights[l]
        model.b[l][...] = biases[l]
    model._clear_cache()
    return model
