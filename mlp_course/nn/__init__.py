"""The numerical core: softmax, losses, activations, layers, the MLP and its training, gradient checks, data.

数值核心：softmax、损失、激活函数、线性层、多层感知机、梯度检验与数据。

Needs numpy only when imported (PyTorch is imported inside the functions of
:mod:`~mlp_course.nn.torch_bridge` and nowhere else). The MLP class is in
:mod:`~mlp_course.nn.mlp`, its fused SGD step and training loop in
:mod:`~mlp_course.nn.training`; every input check is in
:mod:`~mlp_course.nn.validation`. Imports nothing from :mod:`mlp_course.course` or
:mod:`mlp_course.grader` (a test enforces it); error messages come from
:mod:`mlp_course.i18n`.
"""
