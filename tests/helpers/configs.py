"""The example configs of configs/ and what each needs to run (--allow-import values, libraries)."""

from lrplot.imports import Allowance
from lrplot.spec import is_import_path
from lrplot.walk import nodes, parse_target
from tests.helpers.installed import installed
from tests.helpers.paths import CONFIGS
from tests.helpers.timm_stub import install_timm_stub

CONFIG_FILES = sorted(CONFIGS.glob("*.yaml"))
# What the local modules of configs/ import themselves (lrplot only imports the file).
LOCAL_NEEDS = {"accelerated_schedules": "pytorch_accelerated", "my_schedules": "torch"}


def import_needs(spec):
    """(--allow-import values, libraries that must be installed) of a spec."""
    allow, needs = set(), set()

    for sched in nodes(spec):
        if is_import_path(sched.type):
            target = parse_target(spec, sched)
            if not Allowance().permits(target):  # not trusted by default
                allow.add(str(target.file.resolve()) if target.file else target.allow_name)
            needs.add(LOCAL_NEEDS[target.file.stem] if target.file else target.allow_name)
    return sorted(allow), sorted(needs)


def importable(name):
    if name == "timm":  # timm's __init__ imports torchvision; its scheduler code runs through a stub parent
        return install_timm_stub()
    return installed(name)
