"""`python -m worker.cli`: the same as the `radar` command."""

from worker.cli import main

main()
