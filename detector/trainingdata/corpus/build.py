"""Build a training corpus from git snapshots and a sources table.

Layout written under ``out``::

    real/<repo-slug>__<name>.<ext>
    fake/<family>/<repo-slug>__<name>.<ext>
    manifest.csv, manifest.csv.gz, build-report.json
    .cache/analysis.jsonl        per-file analysis, so re-runs skip decoding
    .veracity-corpus             marker: this folder belongs to the builder

Each candidate file (matching a row's ``include`` regex) passes these checks in order and
stops at the first that fails, which becomes its drop reason (see ``report.DROP_REASONS``):
dataset-name path rules, the row's ``exclude`` regex, reserved/excluded git blob, missing
blob, LFS pointer, reserved/excluded sha256, exact duplicate, decode, short side,
grid/collage, non-photographic (reals only), near-duplicate of an ``exclude_images`` image,
near-duplicate of a kept file. Files are read in table order and, within a row, in path
order, so the first copy met is the one kept. Bytes are copied unchanged.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from veracity.detector.trainingdata.corpus.cache import AnalysisCache
from veracity.detector.trainingdata.corpus.decode import DEFAULT_MAX_PIXELS, DecodeError, decode_image, extension_for
from veracity.detector.trainingdata.corpus.dedup import DEFAULT_MAX_DISTANCE, NearDuplicateIndex, perceptual_hash
from veracity.detector.trainingdata.corpus.errors import OutputError
from veracity.detector.trainingdata.corpus.gitmirror import BlobReader, TreeEntry, find_git_dir, list_tree
from veracity.detector.trainingdata.corpus.hashes import HashList, load_hash_list
from veracity.detector.trainingdata.corpus.heuristics import (
    PhotoStats,
    find_grid,
    is_non_photographic,
    measure_photo_stats,
)
from veracity.detector.trainingdata.corpus.manifest import ManifestRow, write_manifest
from veracity.detector.trainingdata.corpus.report import BuildReport, Tally
from veracity.detector.trainingdata.corpus.sources import SourceRow, load_sources
from veracity.detector.trainingdata.corpus.writer import OutputTree

__all__ = ["IMAGE_PATH", "PATH_RULES", "BuildConfig", "build_corpus"]

log = logging.getLogger(__name__)

IMAGE_PATH = re.compile(r"(?i)\.(jpe?g|jfif|png|webp|tiff?|bmp|heic|heif|avif)$")
"""Only paths with these extensions are candidates."""

PATH_RULES = (
    (
        "reserved_dataset_path",
        re.compile(
            r"(?i)(urban[-_ ]?100|sun[-_ ]?hays|c?bsds?[-_ ]?(68|100|200|300|500)|bsds|(^|[/_-])b100([/_.-]|$))"
        ),
    ),
    ("validation_dataset_path", re.compile(r"(?i)(kodak[-_ ]?2[34]|kodim\d\d|mcmaster)")),
)
"""Path rules applied to every source: reserved evaluation datasets and wild-dev datasets."""

_LFS_MAGIC = b"version https://git-lfs"


@dataclass(frozen=True)
class BuildConfig:
    """Inputs and thresholds of one build.

    Attributes:
        mirror: Folder of ``owner+name`` git snapshots.
        out: Corpus folder (created; must be empty or a previous corpus).
        sources: Sources table (TSV).
        reserved: Reserved hash list (``reserved-hashes.txt``) or ``None``.
        exclude_hashes: More hash lists whose files are dropped (e.g. the validation set).
        exclude_images: Folders of images whose near-duplicates are dropped.
        min_side: Smallest allowed short side in pixels.
        max_pixels: Decompression-bomb limit in pixels.
        phash_distance: Largest Hamming distance counted as a near-duplicate.
        prune: Delete image files under ``real/`` and ``fake/`` that the new manifest lacks.
    """

    mirror: Path
    out: Path
    sources: Path
    reserved: Path | None = None
    exclude_hashes: tuple[Path, ...] = ()
    exclude_images: tuple[Path, ...] = ()
    min_side: int = 256
    max_pixels: int = DEFAULT_MAX_PIXELS
    phash_distance: int = DEFAULT_MAX_DISTANCE
    prune: bool = False

    def __post_init__(self) -> None:
        if self.min_side < 1:
            raise ValueError(f"The 'min_side' parameter must be a positive int. Got {self.min_side} instead.")

    def to_dict(self) -> dict[str, object]:
        """Plain-data view for the report."""
        return {
            "mirror": str(self.mirror),
            "out": str(self.out),
            "sources": str(self.sources),
            "reserved": str(self.reserved) if self.reserved else None,
            "exclude_hashes": [str(p) for p in self.exclude_hashes],
            "exclude_images": [str(p) for p in self.exclude_images],
            "min_side": self.min_side,
            "max_pixels": self.max_pixels,
            "phash_distance": self.phash_distance,
            "prune": self.prune,
        }


@dataclass
class _State:
    tally: Tally = field(default_factory=Tally)
    rows: list[ManifestRow] = field(default_factory=list)
    seen_sha: set[str] = field(default_factory=set)
    claimed: set[tuple[str, str]] = field(default_factory=set)


class _Builder:
    def __init__(self, config: BuildConfig) -> None:
        self.config = config
        self.reserved = load_hash_list(config.reserved) if config.reserved else HashList()
        self.excluded = load_hash_list(*config.exclude_hashes)
        self.tree = OutputTree(config.out)
        self.cache = AnalysisCache(config.out / ".cache" / "analysis.jsonl")
        self.kept_index = NearDuplicateIndex(config.phash_distance)
        self.excluded_index = NearDuplicateIndex(config.phash_distance)
        self.state = _State()

    # -- analysis ---------------------------------------------------------------------
    def analyse(self, sha: str, data: bytes) -> dict[str, object]:
        cached = self.cache.get(sha)
        if cached is not None and cached.get("max_pixels") == self.config.max_pixels:
            return cached
        try:
            image = decode_image(data, max_pixels=self.config.max_pixels)
        except DecodeError as exc:
            entry: dict[str, object] = {"error": exc.reason, "detail": exc.detail[:200]}
        else:
            stats = measure_photo_stats(image.rgb)
            grid = find_grid(image.rgb)
            entry = {
                "width": image.info.width,
                "height": image.info.height,
                "format": image.info.format,
                "phash": f"{perceptual_hash(image.to_pil()):016x}",
                "stats": stats.to_dict(),
                "grid": grid.kind,
                "grid_detail": grid.detail,
            }
        entry["max_pixels"] = self.config.max_pixels
        self.cache.put(sha, entry)
        return entry

    def load_excluded_images(self) -> int:
        count = 0
        for folder in self.config.exclude_images:
            for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and IMAGE_PATH.search(p.name)):
                data = path.read_bytes()
                entry = self.analyse(hashlib.sha256(data).hexdigest(), data)
                if "phash" in entry:
                    self.excluded_index.add(int(str(entry["phash"]), 16), str(path))
                    count += 1
        return count

    # -- one file ---------------------------------------------------------------------
    def consider(self, row: SourceRow, entry: TreeEntry, reader: BlobReader) -> None:
        tally, where = self.state.tally, f"{row.repo}:{entry.path}"
        for reason, rule in PATH_RULES:
            if rule.search(entry.path):
                return tally.drop(reason, row.group, where)
        if row.excludes(entry.path):
            return tally.drop("path_excluded", row.group, where)
        if self.reserved.has_blob(entry.blob):
            return tally.drop("reserved_hash", row.group, where)
        if self.excluded.has_blob(entry.blob):
            return tally.drop("excluded_hash", row.group, where)
        data = reader.read(entry.blob)
        if data is None:
            return tally.drop("absent_from_snapshot", row.group, where)
        if data.startswith(_LFS_MAGIC):
            return tally.drop("lfs_pointer", row.group, where)
        sha = hashlib.sha256(data).hexdigest()
        if self.reserved.has_sha256(sha):
            return tally.drop("reserved_hash", row.group, where)
        if self.excluded.has_sha256(sha):
            return tally.drop("excluded_hash", row.group, where)
        if sha in self.state.seen_sha:
            return tally.drop("exact_duplicate", row.group, where)
        self.state.seen_sha.add(sha)
        info = self.analyse(sha, data)
        if "error" in info:
            return tally.drop(str(info["error"]), row.group, where)
        width, height = int(info["width"]), int(info["height"])  # type: ignore[arg-type]
        if min(width, height) < self.config.min_side:
            return tally.drop("too_small", row.group, where)
        if info["grid"]:
            return tally.drop("grid_or_collage", row.group, where)
        if row.label == "real" and is_non_photographic(PhotoStats(**info["stats"])):  # type: ignore[arg-type]
            return tally.drop("non_photographic", row.group, where)
        phash = int(str(info["phash"]), 16)
        if self.excluded_index.find(phash) is not None:
            return tally.drop("near_duplicate_of_excluded", row.group, where)
        if self.kept_index.find(phash) is not None:
            return tally.drop("near_duplicate", row.group, where)
        fmt = str(info["format"])
        rel, written = self.tree.place(row, entry.path, extension_for(fmt), data, sha)
        self.kept_index.add(phash, rel)
        self.state.rows.append(
            ManifestRow(
                rel,
                row.label,
                row.family,
                row.generator,
                row.repo,
                row.commit,
                entry.path,
                sha,
                entry.blob,
                row.licence,
                width,
                height,
                fmt,
                row.group,
            )
        )
        tally.keep(row.group, row.label, row.family, written=written)
        return None

    # -- whole build ------------------------------------------------------------------
    def run(self, rows: list[SourceRow]) -> BuildReport:
        started = time.time()
        n_excluded_images = self.load_excluded_images()
        repos = list(dict.fromkeys(r.repo for r in rows))
        for repo in repos:
            repo_rows = [r for r in rows if r.repo == repo]
            git_dir = find_git_dir(self.config.mirror, repo)
            trees: dict[str, list[TreeEntry]] = {}
            with BlobReader(git_dir) as reader:
                for row in repo_rows:
                    if row.commit not in trees:
                        trees[row.commit] = [e for e in list_tree(git_dir, row.commit) if IMAGE_PATH.search(e.path)]
                    before = sum(self.state.tally.kept_by_source.values())
                    for entry in trees[row.commit]:
                        key = (repo, entry.path)
                        if key in self.state.claimed or not row.selects(entry.path):
                            continue
                        self.state.claimed.add(key)
                        self.consider(row, entry, reader)
                    kept = sum(self.state.tally.kept_by_source.values()) - before
                    log.info("%s: kept %d", row.group, kept)
        self.cache.close()
        write_manifest(self.state.rows, self.config.out)
        stale = self.tree.stale_files({r.file for r in self.state.rows})
        if self.config.prune:
            for path in stale:
                path.unlink()
        report = self.state.tally.freeze(
            config=self.config.to_dict(),
            reserved_hashes=self.reserved.to_dict(),
            excluded_hashes=self.excluded.to_dict(),
            excluded_images_indexed=n_excluded_images,
            stale_files=len(stale),
            stale_files_pruned=len(stale) if self.config.prune else 0,
            seconds=round(time.time() - started, 1),
        )
        report.write_json(self.config.out / "build-report.json")
        return report


def build_corpus(config: BuildConfig) -> BuildReport:
    """Build (or resume) a corpus as described in the module docstring.

    Args:
        config: Inputs and thresholds.

    Returns:
        The build report (also written to ``out/build-report.json``).

    Raises:
        SourcesTableError: The sources table is malformed.
        HashListError: A hash list is malformed.
        MirrorNotFoundError: A repository of the table has no snapshot in ``mirror``.
        MirrorError: A commit of the table is not in its snapshot.
        OutputError: ``out`` is a non-empty folder that is not a corpus folder.
    """
    rows = load_sources(config.sources)
    for folder in config.exclude_images:
        if not Path(folder).is_dir():
            raise OutputError(f"The --exclude-images folder {folder} does not exist. Pass an existing folder.")
    return _Builder(config).run(rows)
