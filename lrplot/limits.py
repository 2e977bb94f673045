"""Every limit lrplot enforces, in one place: what one input may hold, what a figure may be, and
the bounds of its own work. README's Limits table states the user-facing ones (tests/test_limits_readme.py
checks it against this module); every other module imports its limits from here.

Each limit keeps lrplot's promise that any failure is one line within 2 s and 300 MB of its own
work: real inputs are far below them, hostile ones are refused before they cost anything.
"""

# --- what one input may hold (README, Limits) -------------------------------------------------

MAX_SPEC_BYTES = 256_000       # a spec or training config (real ones are a few kB; PyYAML reads ~1 MB/s)
# values one YAML document may hold as written (an alias one value): an honest spec has a few hundred
MAX_YAML_VALUES = 10_000
# ... and once aliases and "<<" merges are expanded, each counted every time it is re-used: "billion
# laughs" alias chains have billions; a published config may repeat a long list (NeMo's
# quartznet_15x5_zh.yaml writes its 5,206 labels once and repeats them by alias: 21,133 values)
MAX_YAML_EXPANDED_VALUES = 40_000
MAX_YAML_DEPTH = 64            # levels of nesting of a YAML document
# bits of a YAML integer: no schedule needs more, and a huge one (0x followed by a million digits)
# costs seconds to convert and fails later when printed
MAX_YAML_INT_BITS = 64
MAX_CSV_BYTES = 16_000_000     # a metric CSV (a million steps of losses)
MAX_LOG_BYTES = 32_000_000     # a CSV or JSON training log (a million logged steps of step,lr is 25 MB)
MAX_EVENTS_BYTES = 64_000_000  # the TensorBoard event files of one --log, together (every record CRC-checked)
MAX_STORE_BYTES = 512_000_000  # W&B run files / MLflow metric files of one --log, together (a million-point W&B run is ~320 MB)
MAX_LOG_VALUES = 2_000_000     # logged values of one --log, all series together
MAX_LOG_WALK = 20_000          # folder entries looked at to find the log files below a --log folder
MAX_LOG_SERIES = 1000          # lr series (tags, columns, param groups) of one --log
MAX_LOG_STEP = 2**53           # a logged step (beyond, a float step is not exact; no run is that long)
MAX_CSV_FIELD_CHARS = 131_072  # one field of a CSV: Python's csv module's own limit, which lrplot keeps
PIPE_IDLE_SECONDS = 1.5        # a pipe nobody writes fails within the 2 s every failure keeps
MAX_EXPRESSION_CHARS = 1000    # the text of one expression
MAX_EXPRESSION_DEPTH = 40      # levels of nesting of one expression
# no integer, given or computed while evaluating an expression, grows beyond this: evaluation stays
# cheap (microseconds) whatever the expression, since a product of two such integers is refused
MAX_EXPRESSION_INT_BITS = 4096
MAX_STEPS = 50_000_000         # optimizer updates per schedule: 8 bytes x steps x groups x fields must fit in memory
# each file Hydra reads (as a training config: MAX_SPEC_BYTES, a regular file) is checked before
# Hydra loads it with PyYAML, which has no limits of its own
MAX_HYDRA_YAML_VALUES = 100_000
# OmegaConf resolves an interpolation again at each use ('${a}${a}' doubles per level): resolving one
# key may go through at most this many interpolations and produce at most this many characters
MAX_INTERPOLATIONS = 1_000  # (an honest key: a few dozen; each costs OmegaConf ~0.3 ms)
MAX_INTERPOLATED_CHARS = 1_000_000
# a number a training config's budget or lr arithmetic takes (examples, batch size, epochs): exact as a float
MAX_BUDGET_NUMBER = 2**53
MAX_MMENGINE_BASE_FILES = 256  # distinct files one MMEngine config inherits from, through every _base_ level

# --- what a figure may be (README, Limits) ----------------------------------------------------

# pixels of a figure (4 bytes each while drawing): --size 100x100 --dpi 1200 would need 58 GB (SVG
# and PDF too: their labels are placed on a canvas of that size)
MAX_PIXELS = 64_000_000
MIN_SIDE_INCHES = 1            # below an inch matplotlib draws an empty image and cannot write it
MAX_SIDE_INCHES = 100
# characters of any text drawn (titles, names in legends and panel titles): laying out a title of a
# million characters takes minutes in FreeType, deaf to Ctrl-C
MAX_TEXT_CHARS = 200
MAX_DRAWABLE = 1e300           # values beyond cannot be drawn: matplotlib's axis ticks overflow near the float limit
MAX_STYLE_BYTES = 64_000       # a --style file (matplotlib's own are 1 to 40 kB)
# a size in a --style file (font sizes, line widths, tick lengths, paddings, in points): a font of
# 1e300 points overflows the renderer; real styles stay below 100
MAX_STYLE_SIZE = 1000

# --- bounds of lrplot's own work (not a property of an input) ---------------------------------

# int ** int in an expression is computed exactly (as Python would) only while the result stays this small
MAX_EXACT_POW_BITS = 4096
# round(x, n) with |n| beyond this gives what Python gives for any larger |n| (x itself, or 0):
# round(1, -10**8) would build 10**(10**8) first, for minutes
MAX_ROUND_DIGITS = 1300
MAX_STATE_ITEMS = 1000         # items of one list or dict shown from a scheduler's state_dict
MAX_CACHE_ENTRY_BYTES = 256 * 2**20  # curves larger than this are not cached
MAX_LOG_FOLDER_DEPTH = 8      # run folders searched below a --log folder (tb_logs/NAME/version_N, output/runs/DATE_HOST)
# verify: diverging spans reported (merged beyond), update-count multiples and step shifts tried,
# and how far a plan is re-simulated past its end to test a hypothesis
MAX_VERIFY_SPANS = 20
MAX_VERIFY_MULTIPLE = 64
MAX_VERIFY_SHIFTS = 64
MAX_VERIFY_EXTEND_STEPS = 20_000_000

# --- a project's own source, read (never imported) for a LightningModule's stepping interval -----
MAX_PROJECT_SOURCE_BYTES = 1_000_000  # one Python module of a project (real modules are tens of kB)
MAX_PROJECT_SCAN_FILES = 400          # .py files looked through for a LightningCLI subclass
MAX_PROJECT_PARENTS = 6               # folders above a config searched for the project root
