"""Balanced sampling: each class, generator family and source gets its share, not its file count.

In the corpus one prompt gallery holds half of the generated images and a few families hold most of the
rest; drawn uniformly, a model would learn those galleries. `balanced_weights` gives every window a
probability so that

- the two classes are drawn equally often;
- within a class, a family (generators; one ``camera`` family for reals) is drawn with probability
  proportional to ``n_images ** alpha``;
- within a family, a source (repository) likewise; within a source, every image equally; within an image,
  every window equally.

``alpha = 1`` is uniform over images; ``alpha = 0`` gives every family and source the same share however
few images it has (and so repeats a one-image family endlessly); the default 0.5 sits between.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from veracity.detector.datasets.layouts import Sample

#: The family of real images (generators name the families of generated ones).
REAL_FAMILY = "camera"


def family_of(sample: Sample) -> str:
    """A sample's generator family: its generator for generated images, `REAL_FAMILY` for real ones."""
    return (sample.generator or "unknown") if sample.label == 1 else REAL_FAMILY


def source_of(sample: Sample) -> str:
    """A sample's source: its repository or dataset, else its group, else its folder."""
    return sample.source or sample.group or sample.relpath.rsplit("/", 1)[0]


def balanced_weights(samples: Sequence[Sample], owner: np.ndarray, *, alpha: float = 0.5) -> np.ndarray:
    """A probability per window (``owner[i]`` is window i's index into ``samples``); sums to 1.

    Raises:
        ValueError: a class has no window.
    """
    owner = np.asarray(owner)
    windows_per_image = np.bincount(owner, minlength=len(samples))
    labels = np.array([s.label for s in samples])
    families = [family_of(s) for s in samples]
    sources = [(families[i], source_of(s)) for i, s in enumerate(samples)]
    image_weight = np.zeros(len(samples))
    for label in (0, 1):
        members = [i for i in range(len(samples)) if labels[i] == label and windows_per_image[i]]
        if not members:
            raise ValueError(f"No {'generated' if label else 'real'} window to sample; both classes are needed.")
        family_n = Counter(families[i] for i in members)
        source_n = Counter(sources[i] for i in members)
        sources_of_family: dict[str, set] = defaultdict(set)
        for i in members:
            sources_of_family[families[i]].add(sources[i])
        family_total = sum(n**alpha for n in family_n.values())
        for i in members:
            family, source = families[i], sources[i]
            p_family = family_n[family] ** alpha / family_total
            p_source = source_n[source] ** alpha / sum(source_n[s] ** alpha for s in sources_of_family[family])
            image_weight[i] = 0.5 * p_family * p_source / source_n[source]
    weights = image_weight[owner] / windows_per_image[owner]
    return weights / weights.sum()


def sampling_table(samples: Sequence[Sample], owner: np.ndarray, weights: np.ndarray) -> list[dict]:
    """Share of the draws per (label, family): what a run's log states about its balance."""
    share: dict[tuple[int, str], float] = defaultdict(float)
    images: Counter = Counter()
    for sample in samples:
        images[(sample.label, family_of(sample))] += 1
    for window, weight in zip(np.asarray(owner), weights, strict=True):
        sample = samples[window]
        share[(sample.label, family_of(sample))] += float(weight)
    return [
        {"label": label, "family": family, "images": images[(label, family)], "share": round(value, 4)}
        for (label, family), value in sorted(share.items())
    ]
