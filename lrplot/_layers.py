"""The direction parts import in, written once: each part imports only parts of lower layers.

A part is a top-level module or subpackage of ``lrplot/``. Every import counts: at module top,
inside a function, and under ``TYPE_CHECKING`` (a type a lower part names is knowledge of the
upper part all the same). Parts of one layer are peers and never import each other. The package
itself (``lrplot/__init__.py``) is no part: it hands on ``__version__`` (``_version``, layer 1) and holds
the lazy public facade, which imports no part until a name is first used. ``tests/test_layers.py``
walks every module's syntax tree and fails, naming file:line, on an import against this list.
"""

LAYERS: tuple[tuple[str, ...], ...] = (
    # 1. words and numbers everything shares: errors, message text, the limits lrplot enforces;
    #    the list of files this run read (filled by readers, consulted by outputs)
    ("_layers", "_version", "errors", "text", "limits", "reads"),
    # 2. machinery that knows no spec: YAML with positions, expressions, curves, atomic files, the
    #    progress bar, the tricks played on dependencies (they import no lrplot part); the step budget
    #    (the one Budget record and the Trainer's counting, which a spec and the readers share)
    ("yamlio", "expr", "curves", "output", "progress", "tricks", "budget", "astparse"),
    # 3. what torch's signatures say an argument accepts (read by spec errors and the builders); what a
    #    scheduler class is (the families lrplot drives)
    ("argtypes", "families"),
    # 4. the spec: models, reading, overrides, validation
    ("spec",),
    # 5. what is read off a spec: its walker, the scheduler-type table, the spec written back as YAML
    ("walk", "facts", "specyaml"),
    # 6. the allow rule (what a spec may import), summaries of curves
    ("imports", "summary"),
    # 7. readers: training configs -> Spec, training logs -> Curves
    ("sources", "logs"),
    # 8. the disk cache of curves (the engine uses it, never the reverse)
    ("cache",),
    # 9. the only place that steps a scheduler
    ("engine", "plotmemo"),
    # 10. what inspects specs and runs, and compares a logged run with its plan
    ("check", "resume", "state", "verify"),
    # 11. curves -> matplotlib figure; what a figure says beside its curves (check's findings, the
    #     readers' assumptions, the metric driving a schedule)
    ("figure", "findings"),
    # 12. curves -> an interactive HTML page or terminal text (the figure's options and colours)
    ("views",),
    # 13. the one way from inputs to figures: load, simulate, overlay a log, render, stage and write
    ("pipeline", "docmemo"),
    # 14. whole runs: the gallery and the documentation figures
    ("gallery", "docfigures"),
    # 15. the front doors: the library call, the command line, the doc-tool plugins
    ("api", "cli", "sphinxext", "mkdocs"),
    # 16. ``python -m lrplot``
    ("__main__",),
)
