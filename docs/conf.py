"""Sphinx configuration of lrplot's documentation (built with -W by tests/test_docs.py and CI)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))  # this checkout's lrplot, also when another is installed

project = "lrplot"
author = "lrplot contributors"
extensions = ["lrplot.sphinxext"]
html_theme = "furo"
html_title = "lrplot"
exclude_patterns = ["_build"]
# The framework pages draw the library's own schedule factories (import-path types).
lrplot_allow_import = ["transformers"]
lrplot_formats = ["png"]

# The framework pages draw published configs with each framework's own scheduler code. Four frameworks'
# package __init__ needs what does not install against the CPU torch this builds with (torchtune: torchao;
# torchtitan: triton; timm and Composer: torchvision; NeMo: onnx and nv_one_logger), while their scheduler modules need only torch: they
# are loaded as lrplot's test suite loads them, the installed files unedited, under stand-in parent
# packages (tests/helpers/framework_stub.py). Where the package imports normally, nothing is stood in.
from tests.helpers.composer_stub import install_composer_stub  # noqa: E402
from tests.helpers.framework_stub import nemo_schedulers, torchtitan_schedulers, torchtune_schedulers  # noqa: E402
from tests.helpers.timm_stub import install_timm_stub  # noqa: E402

for _load in (torchtune_schedulers, torchtitan_schedulers, nemo_schedulers, install_composer_stub, install_timm_stub):
    _load()
