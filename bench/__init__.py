"""Benchmarks: `python -m bench` (or `make bench`); `--quick` is the smoke run CI does."""
