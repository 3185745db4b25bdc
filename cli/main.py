"""The ``veracity`` command group. Subcommands load lazily so ``veracity --help`` stays fast."""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute"; each module must import without torch.
LAZY_COMMANDS: dict[str, str] = {
    "bench": "cli.bench:bench",
    "check": "cli.check:check",
    "detectors": "cli.detectors:detectors",
    "provenance": "cli.provenance:provenance",
    "scan": "cli.scan:scan",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand is used or listed."""

    def __init__(self, *args, lazy_commands: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

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
