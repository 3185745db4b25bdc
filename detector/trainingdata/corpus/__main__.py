"""Command line: ``python -m veracity.detector.trainingdata.corpus build ...`` and ``... corpus hash-list ...``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from veracity.detector.trainingdata.corpus.build import BuildConfig, build_corpus
from veracity.detector.trainingdata.corpus.errors import CorpusError
from veracity.detector.trainingdata.corpus.hashes import hash_list_from_manifest, write_hash_list

_DEFAULT_SOURCES = Path(__file__).with_name("sources.tsv")


def _fail(exc: CorpusError) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress per source to stderr.")
def main(verbose: bool) -> None:
    """Build the detector's training corpus from git snapshots."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr, format="%(message)s")


@main.command()
@click.option(
    "--mirror",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of owner+name git snapshots.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Corpus folder to create or resume.",
)
@click.option(
    "--sources",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=_DEFAULT_SOURCES,
    show_default=True,
    help="Sources table (TSV).",
)
@click.option(
    "--reserved",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Reserved hash list (reserved-hashes.txt).",
)
@click.option(
    "--exclude-hashes",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="More hash lists ('sha256 <hex>' / 'gitblob <hex>' lines); repeatable.",
)
@click.option(
    "--exclude-images",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of images whose near-duplicates are dropped (e.g. the validation set); repeatable.",
)
@click.option(
    "--min-side",
    type=click.IntRange(min=1),
    default=256,
    show_default=True,
    help="Smallest short side in pixels.",
)
@click.option(
    "--phash-distance",
    type=click.IntRange(0, 64),
    default=6,
    show_default=True,
    help="Largest perceptual-hash Hamming distance counted as a near-duplicate.",
)
@click.option("--prune", is_flag=True, help="Delete files of earlier builds that the new manifest lacks.")
def build(
    mirror: Path,
    out: Path,
    sources: Path,
    reserved: Path | None,
    exclude_hashes: tuple[Path, ...],
    exclude_images: tuple[Path, ...],
    min_side: int,
    phash_distance: int,
    prune: bool,
) -> None:
    """Select, check, deduplicate and copy images into OUT; write the manifest and report."""
    config = BuildConfig(
        mirror=mirror,
        out=out,
        sources=sources,
        reserved=reserved,
        exclude_hashes=exclude_hashes,
        exclude_images=exclude_images,
        min_side=min_side,
        phash_distance=phash_distance,
        prune=prune,
    )
    try:
        report = build_corpus(config)
    except CorpusError as exc:
        raise _fail(exc) from exc
    click.echo(report.render_text())
    click.echo(f"manifest: {out / 'manifest.csv'} (+ .gz); report: {out / 'build-report.json'}")


@main.command("hash-list")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Hash list to write.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
def hash_list(manifest: Path, output: Path, overwrite: bool) -> None:
    """Write a hash list from MANIFEST's sha256, source_blob_sha256 and git_blob columns."""
    if output.exists() and not overwrite:
        raise click.ClickException(f"{output} exists. Pass --overwrite to replace it.")
    try:
        pairs = hash_list_from_manifest(manifest)
    except CorpusError as exc:
        raise _fail(exc) from exc
    write_hash_list(pairs, output, header=f"hashes from {manifest}")
    click.echo(f"wrote {len(pairs)} hashes to {output}")


if __name__ == "__main__":
    main()
