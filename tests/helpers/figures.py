"""What the figure tests share: the drawn text of a figure and the check that none of it overlaps or is
clipped (what a person publishing the figure checks by eye, on the artists, never on pixels), and the specs
of two schedules and two param groups several figure tests draw."""

from __future__ import annotations

import itertools


def drawn_texts(fig):
    """Every Text artist actually drawn, with its extent in display pixels, plus the legend frames."""
    from matplotlib.text import Text

    drawn = []
    original = Text.draw

    def record(self, renderer):
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self, self.get_window_extent(renderer)))

    Text.draw = record
    try:
        fig.canvas.draw()
    finally:
        Text.draw = original
    renderer = fig.canvas.get_renderer()
    legends = [lg for lg in [*(a.get_legend() for a in fig.axes), *fig.legends] if lg is not None]
    return drawn, [(lg, lg.get_window_extent(renderer)) for lg in legends]


def overlap(a, b, tol=0.5):
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tol and min(a.y1, b.y1) - max(a.y0, b.y0) > tol


def describe(text):
    return f"{text.get_text()!r} ({text.get_gid() or type(text).__name__})"


def assert_publishable(fig):
    texts, legends = drawn_texts(fig)
    assert texts
    box = fig.bbox
    for t, bb in texts:
        assert bb.x0 >= box.x0 - 0.5 and bb.x1 <= box.x1 + 0.5 and bb.y0 >= box.y0 - 0.5 and bb.y1 <= box.y1 + 0.5, \
            f"{describe(t)} is clipped by the figure edge: {bb} not in {box}"
        if (t.get_gid() or "").split(":")[0] in ("event-label", "peak-label", "final-label"):
            frame = t.axes.get_window_extent()
            assert frame.x0 - 0.5 <= bb.x0 and bb.x1 <= frame.x1 + 0.5 and frame.y0 - 0.5 <= bb.y0 \
                and bb.y1 <= frame.y1 + 0.5, f"{describe(t)} leaves its panel"
    for (a, ba), (b, bb) in itertools.combinations(texts, 2):
        assert not overlap(ba, bb), f"{describe(a)} overlaps {describe(b)}"
    for lg, lb in legends:
        inside = set(lg.get_texts()) | {lg.get_title()}
        for t, bb in texts:
            if t not in inside:
                assert not overlap(lb, bb), f"{describe(t)} is under a legend"
    return texts


TWO_BY_TWO = ("title: two schedules, two groups\nsteps: 300\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9}\n"
              "param_groups: [{name: backbone, lr: 0.01}, {name: head}]\nschedules:\n"
              "  - {name: cosine, scheduler: {type: CosineAnnealingLR, T_max: 300}}\n"
              "  - {name: onecycle, fields: [lr, momentum], scheduler: {type: OneCycleLR, max_lr: [0.01, 0.1], "
              "total_steps: 300}}\n")


TWO_FIELDS = ("title: two groups, lr and momentum\nsteps: 300\noptimizer: {type: SGD, lr: 0.1, momentum: 0.9}\n"
              "fields: [lr, momentum]\nparam_groups: [{name: backbone, lr: 0.01}, {name: head}]\n"
              "scheduler: {type: OneCycleLR, max_lr: [0.01, 0.1], total_steps: 300}\n")
