"""mlp_course: softmax, cross-entropy and MLP backpropagation, from scratch in numpy.

mlp_course：用 numpy 从零实现 softmax、交叉熵与多层感知机的反向传播。

The core needs only numpy; PyTorch, ipywidgets and PyYAML are imported by the
parts that use them (checks, widgets, glossary), when they are first used.
"""

from __future__ import annotations

import importlib

from .i18n import (CourseError, CourseTypeError, CourseValueError, Message,
                   get_language, language, set_language, text)

__version__ = "0.1.0"

# public name -> submodule that defines it; imported on first use so that
# `import mlp_course` stays fast and needs numpy only.
_EXPORTS = {
    "nn.probability": ["softmax", "log_softmax", "logsumexp", "one_hot", "entropy",
                    "kl_divergence"],
    "nn.losses": ["nll_loss", "cross_entropy", "cross_entropy_grad"],
    "nn.activations": ["relu", "relu_backward", "sigmoid", "sigmoid_backward", "tanh",
                    "tanh_backward", "activation_forward", "activation_backward"],
    "nn.layers": ["linear_forward", "linear_backward"],
    "nn.mlp": ["MLP"],
    "nn.gradcheck": ["numerical_gradient", "rel_error", "gradient_check",
                  "GradientCheckResult"],
    "nn.data": ["make_spiral", "make_blobs", "load_digits", "train_test_split"],
    "course.glossary": ["lookup", "glossary_search"],
    "course.plotting": ["setup_fonts"],
    "course.exercises": ["check", "progress"],
}
_NAME_TO_MODULE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = ["CourseError", "CourseTypeError", "CourseValueError", "Message",
           "get_language", "language", "set_language", "text",
           *_NAME_TO_MODULE]


def __getattr__(name: str):
    module = _NAME_TO_MODULE.get(name)
    if module is None:
        raise AttributeError(f"module 'mlp_course' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
