"""``veracity provenance``: read, verify and sign Content Credentials; manage trust; make test credentials."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from veracity.cli.errors import library_errors
from veracity.cli.options import trust_options, trust_settings

_FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text for people, JSON for programs.",
)


def _manifest_options(command):
    command = trust_options(command)
    command = click.option("--sidecar", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                           help="A .c2pa manifest store to validate the file against.")(command)  # fmt: skip
    command = click.option("--fragment", "fragments", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                           multiple=True, help="Fragment of a fragmented MP4 (PATH is its init).")(command)  # fmt: skip
    return command


@contextlib.contextmanager
def _errors_as(output_format: str, path: Path) -> Iterator[None]:
    """Library errors as one line on stderr (exit 1); with ``--format json`` also as a JSON record on stdout."""
    from veracity.provenance.errors import ProvenanceError

    try:
        with library_errors():
            yield
    except click.ClickException as exc:
        cause = exc.__cause__
        if output_format == "json" and isinstance(cause, ProvenanceError):
            record = {"input": str(path), "state": None, "error": {"kind": cause.kind, "message": str(cause)}}
            click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        raise


@click.group()
def provenance() -> None:
    """Content Credentials (C2PA): read, verify, sign, manage trust anchors, make test credentials."""


@provenance.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_manifest_options
@click.option("--tree", is_flag=True, help="Show the ingredient tree.")
@_FORMAT
def read(
    path, trust_anchors, no_default_trust, no_interim_trust, allow_remote, sidecar, fragments, tree, output_format
) -> None:
    """Show the Content Credentials of PATH: state, signer, actions, AI declarations, problems."""
    from veracity.cli.render.provenance_text import render_manifest
    from veracity.provenance.credentials.reader import read_manifest

    with _errors_as(output_format, path):
        result = read_manifest(
            path,
            trust=trust_settings(trust_anchors, no_default_trust, allow_remote, no_interim_trust),
            sidecar=sidecar,
            fragments=fragments,
        )
    if output_format == "json":
        click.echo(json.dumps({"input": str(path), **result.to_dict()}, indent=2, ensure_ascii=False))
    else:
        click.echo(render_manifest(result, tree=tree))


@provenance.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_manifest_options
@click.option("--require", type=click.Choice(["valid", "trusted"]), default="valid", show_default=True,
              help="Exit with code 1 unless the state is at least this.")  # fmt: skip
@_FORMAT
def verify(
    path, trust_anchors, no_default_trust, no_interim_trust, allow_remote, sidecar, fragments, require, output_format
) -> None:
    """Verify the Content Credentials of PATH and name the trust anchor that matched.

    Exit codes: 0 the state meets --require; 1 it does not (or the file could not be read); 2 usage error.
    """
    from veracity.cli.render.provenance_text import render_manifest
    from veracity.provenance.credentials.reader import verify_manifest

    with _errors_as(output_format, path):
        result = verify_manifest(
            path,
            trust=trust_settings(trust_anchors, no_default_trust, allow_remote, no_interim_trust),
            sidecar=sidecar,
            fragments=fragments,
        )
    if output_format == "json":
        payload = {"input": str(path), "require": require, "meets": result.meets(require), **result.to_dict()}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        click.echo(render_manifest(result, tree=False))
        verdict = "meets" if result.meets(require) else "does NOT meet"
        click.echo(f"\nState {result.state} {verdict} the requirement '{require}'.")
    sys.exit(0 if result.meets(require) else 1)


@provenance.command()
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "dst", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the signed copy (never the source).")  # fmt: skip
@click.option("--cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="PEM certificate chain, signer first.")  # fmt: skip
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="PEM private key (never printed).")  # fmt: skip
@click.option("--alg", type=click.Choice(["es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519"]),
              default=None, help="Signing algorithm (default: inferred from the key).")  # fmt: skip
@click.option("--source-type", default=None, help="IPTC digital source type, e.g. digitalCapture.")
@click.option("--action", default=None, help="Action to record (default c2pa.created, or c2pa.edited with --parent).")
@click.option("--title", default=None, help="Manifest title (default: the output file name).")
@click.option("--parent", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Parent ingredient; its own manifest is kept.")  # fmt: skip
@click.option("--assertion", "assertions", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              multiple=True, help="JSON file with an assertion {label, data} (repeatable).")  # fmt: skip
@click.option("--tsa-url", default=None, help="RFC 3161 timestamp authority URL (uses the network).")
@click.option("--no-thumbnail", is_flag=True, help="Do not embed a thumbnail.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output file.")
@_FORMAT
def sign(src, dst, cert, key, alg, source_type, action, title, parent, assertions, tsa_url, no_thumbnail, overwrite,
         output_format) -> None:  # fmt: skip
    """Sign SRC with Content Credentials into a new file; SRC is never modified."""
    from veracity.provenance.credentials.signing import sign_file

    with library_errors():
        result = sign_file(src, dst, cert=cert, key=key, alg=alg, source_type=source_type, action=action,
                           title=title, parent=parent, assertions=assertions, tsa_url=tsa_url,
                           thumbnail=not no_thumbnail, overwrite=overwrite)  # fmt: skip
    if output_format == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(f"Signed {result.source} -> {result.destination} ({result.format}, {result.alg.upper()}).")


@provenance.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--alg", type=click.Choice(["es256", "es384", "es512", "ed25519"]), default="es256", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace existing credential files in FOLDER.")
def keygen(folder, alg, overwrite) -> None:
    """Create a development CA and signing certificate in FOLDER. FOR TESTING ONLY: never sign real work."""
    from veracity.provenance.credentials.keygen import create_dev_credentials

    with library_errors():
        made = create_dev_credentials(folder, alg=alg, overwrite=overwrite)
    click.echo("Development credentials, FOR TESTING ONLY:")
    click.echo(f"  trust anchor : {made.root_ca}")
    click.echo(f"  certificate  : {made.chain}")
    click.echo(f"  private key  : {made.key} (mode 0600)")
    click.echo(f"Try: veracity provenance sign IN -o OUT --cert {made.chain} --key {made.key}")
    click.echo(f"     veracity provenance verify OUT --trust-anchors {made.root_ca} --require trusted")


@provenance.group()
def trust() -> None:
    """Show and manage the trust anchors used to decide whether a signer is trusted."""


@trust.command("show")
@trust_options
@_FORMAT
def trust_show(trust_anchors, no_default_trust, no_interim_trust, allow_remote, output_format) -> None:
    """List every trust source in use and its anchors."""
    from veracity.provenance.credentials.trust import resolve_trust_sources

    with library_errors():
        sources = resolve_trust_sources(trust_settings(trust_anchors, no_default_trust, allow_remote, no_interim_trust))
    if output_format == "json":
        payload = [{**s.to_dict(), "anchors": [a.to_dict() for a in s.anchors]} for s in sources]
        click.echo(json.dumps(payload, indent=2))
        return
    if not sources:
        click.echo("No trust anchors in use: every signer will be reported as untrusted.")
    for source in sources:
        allowed = f", {source.allowed_count} allowed end-entity certificates" if source.allowed else ""
        click.echo(f"{source.kind}: {source.name}, {source.location} ({len(source.anchors)} anchors{allowed})")
        for anchor in source.anchors:
            click.echo(f"  {anchor.fingerprint[:16]}  {anchor.subject}  (until {anchor.not_after[:10]})")


@trust.command("add")
@click.argument("pem_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def trust_add(pem_file) -> None:
    """Add the CA certificates of PEM_FILE to your trust store."""
    from veracity.provenance.credentials.trust import add_user_anchors, default_store_dir

    with library_errors():
        added = add_user_anchors(pem_file)
    for anchor in added:
        click.echo(f"added {anchor.fingerprint[:16]}  {anchor.subject}" + ("" if anchor.is_ca else "  (not a CA!)"))
    click.echo(f"Trust store: {default_store_dir()}")


@trust.command("remove")
@click.argument("fingerprint")
def trust_remove(fingerprint) -> None:
    """Remove the anchor whose SHA-256 fingerprint starts with FINGERPRINT from your trust store."""
    from veracity.provenance.credentials.trust import remove_user_anchor

    with library_errors():
        removed = remove_user_anchor(fingerprint)
    click.echo(f"removed {removed.fingerprint[:16]}  {removed.subject}")
