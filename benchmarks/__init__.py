"""Many files at once: the batch engine, `veracity scan`, the research harness and the speed benchmarks.

Subpackages, each importable alone (this ``__init__`` imports nothing):

- `engine`: the worker-process pool, progress and durable JSONL, shared by scan and the harness;
- `scan`: `run_scan`, resumable batch scanning on the local or the Ray engine;
- `harness`: `run_benchmark`, datasets x perturbations x detectors -> metrics, tables and plots;
- `perf`: scripts that print speed and memory figures (``python -m veracity.benchmarks.perf.<name>``).
"""
