"""Benchmark scripts that print figures (speed, memory, throughput ratios); run with ``python -m``.

Targets are met here, never in timed unit tests: each script measures ratios against a baseline in the
same run, because these machines are shared and noisy.
"""
