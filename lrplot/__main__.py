"""``python -m lrplot``: the same command line as the ``lrplot`` script."""

from lrplot.cli import main

main()
