"""The files an import reads: uploaded files, folders on disk, or a zip of a repository.

A zip is hostile input until proven otherwise. Nothing of it is ever written
to disk, and reading it is bounded:

- at most 20,000 entries in the archive, at most 2,000 notes files (`Limits`);
- only notes files (.md, .org…) are decompressed; each at most 5 MB, all of
  them together at most 50 MB — counted on the bytes actually inflated, not on
  the sizes the archive claims (a zip bomb lies about those);
- a name that is absolute or climbs out of the archive ("../…", "C:…") is
  refused and reported, as are symbolic links and encrypted entries;
- hidden files and folders (.git, __MACOSX) are ignored.

Whether a file is text (UTF-8, not binary, not empty) is decided when it is
read as an outline, and reported there with its name and line.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from notes.outline import EXTENSIONS

from .paths import natural_key


@dataclass(frozen=True)
class Limits:
    entries: int = 20_000  # entries of an archive, or files of a folder, looked at
    files: int = 2_000  # notes files read
    file_bytes: int = 5 * 1024 * 1024  # one notes file
    total_bytes: int = 50 * 1024 * 1024  # all notes files together


LIMITS = Limits()

NOTES_EXTENSIONS = frozenset(EXTENSIONS)
# Files of a repository that are about the repository, whatever their extension.
_REPOSITORY_FILES = re.compile(
    r"^(?:license|licence|copying|contributing|code_of_conduct|code-of-conduct|changelog|"
    r"security|authors|contributors|pull_request_template|issue_template|codeowners)$",
    re.I,
)
_IGNORED_FOLDERS = {"__MACOSX", "node_modules"}


class ArchiveError(ValueError):
    """The whole archive or folder is refused (not a zip, far too big)."""


@dataclass(frozen=True)
class FileProblem:
    """A file that cannot be imported, and where and why."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return (
            f"{self.path}, line {self.line}: {self.message}"
            if self.line
            else (f"{self.path}: {self.message}")
        )


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class SourceFile:
    path: str  # POSIX path inside the repository, as shown and as links name it
    data: bytes
    # Names of the folders the file is in, outermost first, including the
    # imported folder's own name (it may say "day2" too).
    folders: tuple[str, ...] = ()
    at_root: bool = True  # directly in the imported folder (or given on its own)

    @property
    def stem(self) -> str:
        return PurePosixPath(self.path).stem


@dataclass
class Repository:
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    ignored: int = 0  # hidden files and folders, not listed one by one

    @property
    def all_paths(self) -> set[str]:
        """Every file of the repository, imported or not (to tell a broken link)."""
        return (
            {f.path for f in self.files}
            | {s.path for s in self.skipped}
            | {p.path for p in self.problems}
        )

    def sort(self) -> None:
        self.files.sort(key=lambda f: natural_key(f.path))
        self.skipped.sort(key=lambda s: natural_key(s.path))


def _hidden(parts: Iterable[str]) -> bool:
    return any(p.startswith(".") or p in _IGNORED_FOLDERS for p in parts)


def _not_notes_reason(path: str) -> str | None:
    """Why a file found in a folder or archive is not read as notes, or None."""
    pure = PurePosixPath(path)
    if _REPOSITORY_FILES.match(pure.stem):
        return "a file about the repository, not notes"
    if pure.suffix.lower() not in NOTES_EXTENSIONS:
        return f"not a notes file ({pure.suffix.lower() or 'no extension'})"
    return None


def repository_from_files(files: Sequence[tuple[str, bytes]]) -> Repository:
    """Files given one by one (an upload, command-line files): all read as notes."""
    repository = Repository()
    taken: set[str] = set()
    for name, data in files:
        pure = PurePosixPath(name.replace("\\", "/"))
        path = pure.name or "notes"
        base, n = path, 2
        while path in taken:
            path, n = f"{PurePosixPath(base).stem}-{n}{PurePosixPath(base).suffix}", n + 1
        taken.add(path)
        folders = (pure.parent.name,) if pure.parent.name else ()
        repository.files.append(SourceFile(path=path, data=data, folders=folders))
    return repository


def repository_from_paths(paths: Sequence[Path], *, limits: Limits = LIMITS) -> Repository:
    """Folders (walked) and files named on the command line."""
    repository = Repository()
    folders = [p for p in paths if p.is_dir()]
    budget = _Budget(limits)
    for path in paths:
        if path.is_dir():
            prefix = path.resolve().name if len(folders) > 1 else ""
            _walk(repository, path, prefix=prefix, budget=budget)
        elif path.is_file():
            data = path.read_bytes()
            budget.take(len(data), str(path))
            # Named as given: the report shows the path typed, and relative links
            # between files given together still resolve.
            repository.files.append(
                SourceFile(path=path.as_posix(), data=data, folders=(path.resolve().parent.name,))
            )
        else:
            repository.problems.append(FileProblem(str(path), 0, "no such file or folder"))
    repository.sort()
    return repository


class _Budget:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.files = 0
        self.bytes = 0

    def take(self, size: int, where: str) -> None:
        self.files += 1
        self.bytes += size
        if self.files > self.limits.files:
            raise ArchiveError(
                f"more than {self.limits.files} notes files (at {where}): "
                "import the folder that holds the notes"
            )
        if self.bytes > self.limits.total_bytes:
            raise ArchiveError(f"more than {_size(self.limits.total_bytes)} of notes (at {where})")


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.0f} MB"
    return f"{count} bytes"


def _walk(repository: Repository, root: Path, *, prefix: str, budget: _Budget) -> None:
    root_name = root.resolve().name
    seen = 0
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        relative = Path(directory).relative_to(root)
        repository.ignored += sum(1 for d in dirnames if _hidden([d]))
        dirnames[:] = sorted(d for d in dirnames if not _hidden([d]))
        for filename in sorted(filenames):
            seen += 1
            if seen > budget.limits.entries:
                raise ArchiveError(f"{root} holds more than {budget.limits.entries} files")
            if _hidden([filename]):
                repository.ignored += 1
                continue
            inner = PurePosixPath(*relative.parts, filename)
            path = str(PurePosixPath(prefix, inner)) if prefix else str(inner)
            full = Path(directory, filename)
            if full.is_symlink():
                repository.skipped.append(SkippedFile(path, "a symbolic link: not followed"))
                continue
            reason = _not_notes_reason(path)
            if reason:
                repository.skipped.append(SkippedFile(path, reason))
                continue
            size = full.stat().st_size
            if size > budget.limits.file_bytes:
                repository.problems.append(FileProblem(path, 0, _too_large(size, budget.limits)))
                continue
            data = full.read_bytes()
            budget.take(len(data), path)
            repository.files.append(
                SourceFile(
                    path=path,
                    data=data,
                    folders=(root_name, *relative.parts),
                    at_root=not relative.parts,
                )
            )


def _too_large(size: int, limits: Limits) -> str:
    return f"too large for a notes file ({_size(size)}; at most {_size(limits.file_bytes)})"


def _safe_name(raw: str) -> str | None:
    """The archive member's path as POSIX parts, or None when it points outside."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or "\x00" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts) or not parts:
        return None
    return "/".join(parts)


def _single_top_folder(names: list[str]) -> str | None:
    """GitHub's "repo-main/" folder around everything: the repository's root is inside."""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1 and all("/" in n for n in names):
        return tops.pop()
    return None


def repository_from_zip(
    data: bytes, *, name: str = "upload.zip", limits: Limits = LIMITS
) -> Repository:
    """The notes files of a zip archive (see the module docstring for the limits)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise ArchiveError(f"{name} is not a zip archive that can be read") from None
    if len(infos) > limits.entries:
        raise ArchiveError(f"{name} holds {len(infos)} entries; at most {limits.entries} are read")
    repository = Repository()
    members: list[tuple[zipfile.ZipInfo, str]] = []
    for info in infos:
        if info.is_dir():
            continue
        safe = _safe_name(info.filename)
        if safe is None:
            repository.problems.append(
                FileProblem(info.filename, 0, "its path leads outside the archive: not read")
            )
            continue
        members.append((info, safe))
    top = _single_top_folder([safe for _, safe in members if not _hidden(safe.split("/"))])
    budget = _Budget(limits)
    seen: set[str] = set()
    for info, safe in members:
        parts = safe.split("/")
        folders = tuple(parts[:-1])
        if top is not None:
            parts = parts[1:]
        path = "/".join(parts)
        if _hidden(parts):
            repository.ignored += 1
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            repository.skipped.append(SkippedFile(path, "a symbolic link: not followed"))
            continue
        reason = _not_notes_reason(path)
        if reason:
            repository.skipped.append(SkippedFile(path, reason))
            continue
        if path in seen:
            repository.problems.append(FileProblem(path, 0, "twice in the archive: not read again"))
            continue
        seen.add(path)
        problem = _read_member(
            archive, info, path, budget, repository, folders, at_root=len(parts) == 1
        )
        if problem:
            repository.problems.append(FileProblem(path, 0, problem))
    repository.sort()
    return repository


def _read_member(archive, info, path, budget, repository, folders, *, at_root) -> str | None:
    if info.flag_bits & 0x1:
        return "encrypted: cannot be read"
    limit = budget.limits.file_bytes
    if info.file_size > limit:
        return _too_large(info.file_size, budget.limits)
    try:
        with archive.open(info) as member:
            # Read one byte past the limit: the size an entry declares can lie.
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, OSError, NotImplementedError, EOFError, ValueError) as error:
        return f"damaged in the archive ({error})"
    if len(data) > limit:
        return _too_large(len(data), budget.limits)
    budget.take(len(data), path)
    repository.files.append(SourceFile(path=path, data=data, folders=folders, at_root=at_root))
    return None
