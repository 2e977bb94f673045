"""``lrplot ARGS`` with an exit handler registered first, which prints ``handler ran`` when it runs: run by
tests/test_startup.py as ``python -m tests.helpers.exit_probe ARGS`` in a child forked by tests/helpers/forked.py
(lrplot's ``main`` leaves through its fast exit, which must run the handlers and keep the exit code)."""

import atexit
import sys

if __name__ == "__main__":
    atexit.register(lambda: print("handler ran"))
    sys.argv = ["lrplot", *sys.argv[1:]]
    from lrplot.cli import main

    main()
