"""The batch harness: datasets, perturbations, metrics, the batch runner and benchmark scripts."""

__all__: list[str] = []
