"""Training-corpus builder: real photographs and generator outputs from git snapshots.

Run ``python -m veracity.detector.trainingdata.corpus build --mirror DIR --out DIR`` (see :mod:`.build`
for the rules and :mod:`.heuristics` for the non-photo and grid tests). ``sources.tsv`` beside this file is
the curated sources table.
"""

from __future__ import annotations

from veracity._lazy import lazy_exports

#: Public name -> the module that defines it (loaded on first use: imagehash and numpy stay unloaded until then).
_EXPORTS = {
    "CorpusError": "veracity.detector.trainingdata.corpus.errors",
    "HashListError": "veracity.detector.trainingdata.corpus.errors",
    "MirrorError": "veracity.detector.trainingdata.corpus.errors",
    "MirrorNotFoundError": "veracity.detector.trainingdata.corpus.errors",
    "OutputError": "veracity.detector.trainingdata.corpus.errors",
    "SourcesTableError": "veracity.detector.trainingdata.corpus.errors",
    "BuildConfig": "veracity.detector.trainingdata.corpus.build",
    "BuildReport": "veracity.detector.trainingdata.corpus.report",
    "DROP_REASONS": "veracity.detector.trainingdata.corpus.report",
    "DecodeError": "veracity.detector.trainingdata.corpus.decode",
    "DecodedImage": "veracity.detector.trainingdata.corpus.decode",
    "GridFinding": "veracity.detector.trainingdata.corpus.heuristics",
    "HashList": "veracity.detector.trainingdata.corpus.hashes",
    "ImageInfo": "veracity.detector.trainingdata.corpus.decode",
    "MANIFEST_COLUMNS": "veracity.detector.trainingdata.corpus.manifest",
    "ManifestRow": "veracity.detector.trainingdata.corpus.manifest",
    "NearDuplicateIndex": "veracity.detector.trainingdata.corpus.dedup",
    "PhotoStats": "veracity.detector.trainingdata.corpus.heuristics",
    "SourceRow": "veracity.detector.trainingdata.corpus.sources",
    "build_corpus": "veracity.detector.trainingdata.corpus.build",
    "decode_image": "veracity.detector.trainingdata.corpus.decode",
    "find_grid": "veracity.detector.trainingdata.corpus.heuristics",
    "hash_list_from_manifest": "veracity.detector.trainingdata.corpus.hashes",
    "is_non_photographic": "veracity.detector.trainingdata.corpus.heuristics",
    "load_hash_list": "veracity.detector.trainingdata.corpus.hashes",
    "load_sources": "veracity.detector.trainingdata.corpus.sources",
    "measure_photo_stats": "veracity.detector.trainingdata.corpus.heuristics",
    "perceptual_hash": "veracity.detector.trainingdata.corpus.dedup",
    "write_hash_list": "veracity.detector.trainingdata.corpus.hashes",
    "write_manifest": "veracity.detector.trainingdata.corpus.manifest",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
