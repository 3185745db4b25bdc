"""The batch engine: a pool of worker processes that survives dying workers, progress, durable JSONL.

Shared by `veracity scan` (`benchmarks.scan`) and `veracity bench` (`benchmarks.harness`); it knows
nothing of images or detectors.
"""
