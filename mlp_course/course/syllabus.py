"""The course map: every lesson, in order, with its titles in both languages.

课程地图：按顺序列出每一课及其中英文标题。
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The repository the package sits in, when it sits in one. Only the authoring
# commands (build, review, drift, run-solutions, slides, release) read from it,
# through `checkout()`; nothing a learner runs needs a path above the package.
ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
LESSONS = ROOT / "lessons"

# Where a lesson's first cell installs the package from when it is missing
# (Colab, a bare Jupyter): the project's public git repository. One place to
# change when the course is published under another address.
PACKAGE_SOURCE = "git+https://git.example.org/mlp-course.git"  # the published repository
PACKAGE_NAME = "mlp-course"


def checkout(command: str) -> Path:
    """The repository root, for an authoring command; a clear error outside a checkout.

    返回课程仓库的根目录（供编写课程的命令使用）；不在仓库中运行时给出清楚的错误。
    """
    from ..i18n import CourseValueError

    if not (SOLUTIONS.is_dir() and (ROOT / "pyproject.toml").is_file()):
        raise CourseValueError(
            zh="`{command}` 是编写课程用的命令，需要在课程仓库的完整副本（含 solutions/）中运行；"
               "这里的 mlp_course 是安装好的包或学生版（{where}），没有源笔记本。",
            en="`{command}` is an authoring command: it needs a checkout of the course's "
               "repository (with solutions/); the mlp_course here is an installed package "
               "or a student copy ({where}) without the source notebooks.",
            command=command, where=ROOT)
    return ROOT


@dataclass(frozen=True)
class Lesson:
    id: str
    zh: str
    en: str

    @property
    def number(self) -> str:
        return self.id[:2]

    @property
    def source(self) -> Path:
        """The bilingual source notebook with solutions.  双语源笔记本（含答案）。"""
        return SOLUTIONS / f"{self.id}.ipynb"

    def student(self, lang: str) -> Path:
        """The generated student notebook in one language.  生成的单语学生笔记本。"""
        return LESSONS / lang / f"{self.id}.ipynb"

    def title(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


COURSE: tuple[Lesson, ...] = (
    Lesson("00_start_here", "从这里开始", "Start here"),
    Lesson("01_softmax", "Softmax：从 logits 到概率", "Softmax: from logits to probabilities"),
    Lesson("02_nll", "负对数似然：从最大似然估计出发", "Negative log-likelihood from maximum likelihood"),
    Lesson("03_cross_entropy", "交叉熵：信息论的视角", "Cross-entropy: the information-theory view"),
    Lesson("04_softmax_gradient", "Softmax + 交叉熵的梯度", "The gradient of softmax with cross-entropy"),
    Lesson("05_mlp_forward", "多层感知机的前向传播", "The MLP forward pass"),
    Lesson("06_backprop", "反向传播：逐层求梯度", "Backpropagation, layer by layer"),
    Lesson("07_training", "从零训练一个 MLP", "Training an MLP from scratch"),
    Lesson("08_review", "复习与自测", "Review and self-check"),
)

BY_ID = {lesson.id: lesson for lesson in COURSE}


def get_lesson(key: str) -> Lesson:
    """Find a lesson by id (``"01_softmax"``), number (``"01"``, ``1``) or file name."""
    from ..i18n import CourseValueError

    name = Path(str(key)).stem
    if name in BY_ID:
        return BY_ID[name]
    number = name.zfill(2) if name.isdigit() else name[:2]
    for lesson in COURSE:
        if lesson.number == number:
            return lesson
    raise CourseValueError(
        zh="没有名为 {key!r} 的课程；可选：{known}。",
        en="There is no lesson {key!r}; known lessons: {known}.",
        key=key, known=", ".join(BY_ID),
    )
