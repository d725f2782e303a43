"""A DCASE Task 2 year: its facts as class attributes, and downloading its archives from Zenodo."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from asdbench import (
    DataError,
    DcaseLayoutDataset,
    RemoteFile,
    ScoreRule,
    exclusive,
    fetch_and_extract,
    zenodo_files,
)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


#: The parts of a year from 2022 on and the names of their archives (``{m}``: machine type).
ARCHIVES = {
    "dev": "dev_{m}.zip",
    "eval-train": "eval_data_{m}_train.zip",
    "eval-test": "eval_data_{m}_test.zip",
}
#: The sections of every year from 2023 on: 00 in each partition.
ONE_SECTION: dict[str, tuple[str, ...]] = {"dev": ("00",), "eval": ("00",)}


class DcaseYear(DcaseLayoutDataset):
    """A DCASE Task 2 year. Subclasses list the Zenodo record of each part."""

    #: Zenodo record per part, and the archive name pattern (``{m}`` = machine type).
    records: ClassVar[dict[str, tuple[str, str]]]
    #: Archives published under another name than the pattern's (a re-release, ``_r2``).
    renamed: ClassVar[dict[str, str]] = {}
    #: The GitHub repository of the year's official evaluator (its ground truth); None when
    #: none could be read here.
    evaluator: ClassVar[str | None] = None

    #: From 2022 on, the Zenodo records of the ``dev``, ``eval-train`` and ``eval-test`` parts,
    #: whose archives are named as :data:`ARCHIVES` says; a year that gives them has the
    #: official score rule and the baseline's folder named after it.
    zenodo: ClassVar[tuple[str, str, str] | None] = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Each year says how to obtain its data from its records and evaluator."""
        super().__init_subclass__(**kwargs)
        if "zenodo" in vars(cls) and cls.zenodo is not None:
            cls.records = {
                part: (record, pattern)
                for (part, pattern), record in zip(ARCHIVES.items(), cls.zenodo, strict=True)
            }
            cls.official_score = ScoreRule(cls.name)
            cls.year_folder = f"{cls.name}t2"
        if "records" not in vars(cls):
            return  # a family of years (WithheldAttributesYear), not a year
        records = ", ".join(record for record, _ in cls.records.values())
        if cls.evaluator:
            tail = (
                f"); eval labels come from the official evaluator's ground truth "
                f"(github.com/{cls.evaluator}), given with --ground-truth."
            )
        else:
            tail = (
                "); eval labels come from the year's official evaluator's ground truth once "
                "published, given with --ground-truth."
            )
        cls.how_to_obtain = (
            f"Download it with `asdbench data download {cls.name} --to DIR` (Zenodo records "
            f"{records}{tail}"
        )

    def download(
        self,
        target: Path,
        *,
        parts: Sequence[str] | None = None,
        machines: Sequence[str] = (),
        mirror: str | None = None,
        progress: bool = True,
    ) -> Path:
        """Fetch the archives of ``parts`` (default: every part the year has published; all
        machine types, or ``machines``) and unpack them into ``target/dev_data`` and
        ``target/eval_data``: the plain layout the reader expects. Archives are kept (verified)
        in ``target/archives`` so an interrupted run resumes."""
        target = Path(target)
        wanted = self._archives(parts, machines, mirror)  # checked first
        with exclusive(target / "archives" / "lock", f"downloading into {target}", _stderr):
            for part, machine, remote in wanted:
                folder = target / f"{'dev' if part == 'dev' else 'eval'}_data"
                # an archive holds <machine>/... or <dev_data|eval_data>/<machine>/..., and
                # may fill nothing but its machine type's folder
                fetch_and_extract(
                    remote,
                    target / "archives",
                    folder,
                    strip=folder.name,
                    within=machine,
                    progress=progress,
                )
        return target

    def archives(
        self,
        *,
        parts: Sequence[str] | None = None,
        machines: Sequence[str] = (),
        mirror: str | None = None,
    ) -> list[tuple[str, RemoteFile]]:
        """(part, archive) for every archive ``download`` would fetch, with the name, size and
        checksum its Zenodo record states."""
        return [(part, remote) for part, _, remote in self._archives(parts, machines, mirror)]

    def _archives(
        self, parts: Sequence[str] | None, machines: Sequence[str], mirror: str | None
    ) -> list[tuple[str, str, RemoteFile]]:
        """(part, machine type, archive) for every archive of ``parts`` and ``machines``."""
        parts = tuple(self.records) if parts is None else parts
        wanted = {part: self._machines(part, machines) for part in parts}
        found = []
        for part, names in wanted.items():
            record, pattern = self.records[part]
            remote = {f.name: f for f in zenodo_files(record, mirror or "https://zenodo.org")}
            for machine in names:
                name = pattern.format(m=machine)
                name = self.renamed.get(name, name)
                if name not in remote:
                    raise DataError(f"Zenodo record {record} has no file {name}")
                found.append((part, machine, remote[name]))
        return found

    def _machines(self, part: str, machines: Sequence[str]) -> Sequence[str]:
        """The machine types of ``part`` to fetch: ``machines``, or all of its partition's."""
        if part not in self.records:
            raise DataError(f"unknown part {part!r}; parts: {', '.join(self.records)}")
        partition = "dev" if part == "dev" else "eval"
        unknown = sorted(set(machines) - set(self.machine_types[partition]))
        if unknown:
            known = ", ".join(self.machine_types[partition])
            raise DataError(f"{unknown[0]}: not a {self.name} {partition} machine type ({known})")
        return machines or self.machine_types[partition]
