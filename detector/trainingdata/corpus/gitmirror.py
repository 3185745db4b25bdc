"""Read files out of git snapshots without a work tree.

The mirror folder holds one folder per repository named ``owner+name`` (as the fetch
tool creates them). Inside it the git directory may be ``repo/`` (bare), ``repo/.git``,
``.git`` or the folder itself; :func:`find_git_dir` tries them in that order.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from veracity.detector.trainingdata.corpus.errors import MirrorError, MirrorNotFoundError

__all__ = ["BlobReader", "TreeEntry", "find_git_dir", "list_tree"]


@dataclass(frozen=True)
class TreeEntry:
    """One regular file of a commit's tree.

    Attributes:
        path: Path inside the repository, ``/``-separated.
        blob: Git blob id (40 hex).
        size: Size in bytes, or ``None`` when the snapshot lacks the blob (large files).
    """

    path: str
    blob: str
    size: int | None


def _is_git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def find_git_dir(mirror: str | Path, repo: str) -> Path:
    """Locate the git directory of ``owner/name`` in the mirror folder.

    Args:
        mirror: Folder holding ``owner+name`` snapshot folders.
        repo: ``owner/name``.

    Returns:
        The git directory.

    Raises:
        MirrorNotFoundError: No snapshot folder or no git directory inside it.
    """
    base = Path(mirror) / repo.replace("/", "+")
    for candidate in (base / "repo", base / "repo" / ".git", base / ".git", base):
        if candidate.is_dir() and _is_git_dir(candidate):
            return candidate
    raise MirrorNotFoundError(
        f"No git snapshot of {repo} under {base}. Fetch it (github:{repo}) into the mirror "
        "folder, or remove its rows from the sources table."
    )


def _git(git_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, check=False)


def list_tree(git_dir: Path, commit: str) -> list[TreeEntry]:
    """List the regular files of ``commit`` (symlinks and submodules are skipped).

    Args:
        git_dir: A git directory (see :func:`find_git_dir`).
        commit: Commit id.

    Returns:
        Entries sorted by path.

    Raises:
        MirrorError: The commit is not in the snapshot.
    """
    probe = _git(git_dir, "cat-file", "-e", f"{commit}^{{commit}}")
    if probe.returncode != 0:
        head = _git(git_dir, "rev-parse", "HEAD").stdout.decode().strip()
        raise MirrorError(
            f"Commit {commit} is not in the snapshot at {git_dir} (its HEAD is {head or 'unknown'}). "
            "Update the commit in the sources table or fetch the repository again."
        )
    done = _git(git_dir, "ls-tree", "-r", "-l", "-z", "--full-tree", commit)
    if done.returncode != 0:
        raise MirrorError(f"git ls-tree failed in {git_dir}: {done.stderr.decode(errors='replace')}")
    entries = []
    for record in done.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, blob, size = meta.split()
        if kind != b"blob" or mode in (b"120000", b"160000"):
            continue
        entries.append(
            TreeEntry(
                path=raw_path.decode("utf-8", errors="surrogateescape"),
                blob=blob.decode(),
                size=int(size) if size.isdigit() else None,
            )
        )
    return sorted(entries, key=lambda e: e.path)


class BlobReader:
    """Read blobs through one long-lived ``git cat-file --batch`` process.

    Use as a context manager::

        with BlobReader(git_dir) as reader:
            data = reader.read(blob_id)   # bytes, or None when the snapshot lacks it
    """

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BlobReader:
        self._proc = subprocess.Popen(
            ["git", f"--git-dir={self.git_dir}", "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(timeout=60)
            self._proc = None

    def read(self, blob: str) -> bytes | None:
        """Return the blob's bytes, or ``None`` when the snapshot does not hold it.

        Raises:
            MirrorError: The reader is not open or git answered something unexpected.
        """
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise MirrorError("BlobReader.read called outside its 'with' block.")
        proc.stdin.write(blob.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) == 2 and header[1] == b"missing":
            return None
        if len(header) != 3 or header[1] != b"blob":
            raise MirrorError(f"Unexpected answer {header!r} from git cat-file in {self.git_dir}.")
        data = proc.stdout.read(int(header[2]))
        proc.stdout.read(1)  # the newline after the content
        return data
