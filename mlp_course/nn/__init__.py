"""The numerical core: softmax, losses, activations, layers, the MLP, gradient checks, data.

数值核心：softmax、损失、激活函数、线性层、多层感知机、梯度检验与数据。

Needs numpy only. Imports nothing from :mod:`mlp_course.course` or
:mod:`mlp_course.grader` (a test enforces it); error messages come from
:mod:`mlp_course.i18n`.
"""
