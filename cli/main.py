"""The ``veracity`` command group. Subcommands load lazily so ``veracity --help`` stays fast."""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute"; each module must import without torch.
LAZY_COMMANDS: dict[str, str] = {
    "bench": "veracity.cli.bench:bench",
    "check": "veracity.cli.check:check",
    "detectors": "veracity.cli.detectors:detectors",
    "provenance": "veracity.cli.provenance:provenance",
    "scan": "veracity.cli.scan:scan",
    "serve": "veracity.cli.serve_command:serve",
    "train": "veracity.cli.train:train",
}

# What `veracity --help` lists, so listing imports no subcommand (a test keeps these equal to the real help).
COMMAND_SUMMARIES: dict[str, str] = {
    "bench": "Benchmark detectors on labelled datasets, with perturbations, metrics and plots.",
    "check": "Check files for provenance and say whether they came from a camera or a generative model.",
    "detectors": "List detectors whose name matches PATTERN (wildcards: * ? [ ]), with their default configuration.",
    "provenance": "Content Credentials (C2PA): read, verify, sign, manage trust anchors, make test credentials.",
    "scan": "Scan INPUTS (files, directories, globs, @LIST files, - for stdin) into one record per file.",
    "serve": "Serve checks over HTTP: a JSON API under /v1 and a web page at /, for upload pipelines and newsrooms.",
    "train": "Train on DATA: folders (or manifest files) in any layout the benchmark harness reads.",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand is used or listed."""

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            summary = COMMAND_SUMMARIES.get(name) if name in self.lazy_commands else None
            if summary is None:
                command = self.get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                summary = command.get_short_help_str(limit=formatter.width - 6 - len(name))
            rows.append((name, summary))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            module_name, attribute = self.lazy_commands[cmd_name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy_commands=LAZY_COMMANDS,
    context_settings={"auto_envvar_prefix": "VERACITY", "help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="veracity", prog_name="veracity", message="%(prog)s %(version)s")
def main() -> None:
    """Tell whether an image came from a camera or a generative model, and who vouches for it.

    veracity reads Content Credentials (C2PA), metadata, watermarks and a trained classifier, and
    fuses them into one verdict with the signal that decided it.
    """
