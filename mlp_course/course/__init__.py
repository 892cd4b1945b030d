"""The course's machinery: syllabus, notebooks, exercises and checks, widgets, figures,
glossary, publishing (slides, releases) and the JupyterLab launcher.

课程机制：课程大纲、笔记本生成、练习与检查、交互控件、图、术语表、发布（幻灯片、发布包）与 JupyterLab 启动。

Builds on :mod:`mlp_course.nn`; never imports :mod:`mlp_course.grader`.
"""
