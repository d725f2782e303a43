"""DCASE Task 2 file names (2022, 2023): labelled and anonymised forms.

Labelled: ``section_<SS>_<domain>_<split>_<label>_<index>[_<key>_<value>]*.wav``. The index is
kept as a string (it is 0- or 1-based depending on the source dataset and not unique across
groups). Attribute keys may hold hyphens, values dots and hyphens; neither holds ``_``.

Anonymised eval test names: ``section_<SS>_<NNNN>.wav``, and the variant the baseline READMEs
print, ``section_<SS>_test_<NNNN>.wav``.
"""

from __future__ import annotations

from dataclasses import dataclass

from asdbench.errors import DataError

DOMAINS = ("source", "target")
SPLITS = ("train", "test")
LABELS = ("normal", "anomaly")
EXPECTED = (
    "section_SS_<source|target>_<train|test>_<normal|anomaly>_<index>[_<key>_<value>]*.wav "
    "or section_SS_NNNN.wav"
)


@dataclass(frozen=True)
class ClipName:
    """What a file name says. Anonymised names leave domain, split and label ``None``."""

    section: str
    domain: str | None
    split: str | None
    label: str | None
    index: str
    attributes: tuple[tuple[str, str], ...] = ()
    #: Set when the attribute tokens did not pair up (the last key got an empty value).
    odd_attributes: bool = False

    @property
    def anonymous(self) -> bool:
        return self.domain is None


def parse_clip_name(name: str) -> ClipName:
    """Parse a base name; raise ``DataError`` naming the file if it is not a DCASE clip name."""
    if not name.lower().endswith(".wav"):
        raise DataError(f"{name}: not a .wav file name (expected {EXPECTED})")
    tokens = name[:-4].split("_")
    if len(tokens) < 3 or tokens[0] != "section" or not _is_section(tokens[1]):
        raise DataError(f"{name}: not a DCASE clip name (expected {EXPECTED})")
    section = tokens[1]
    if len(tokens) == 3 and tokens[2].isdigit():
        return ClipName(section, None, None, None, tokens[2])
    if len(tokens) == 4 and tokens[2] == "test" and tokens[3].isdigit():
        return ClipName(section, None, "test", None, tokens[3])
    if (
        len(tokens) < 6
        or tokens[2] not in DOMAINS
        or tokens[3] not in SPLITS
        or tokens[4] not in LABELS
        or not tokens[5]
    ):
        raise DataError(f"{name}: not a DCASE clip name (expected {EXPECTED})")
    extra = tokens[6:]
    if any(token == "" for token in extra):
        raise DataError(f"{name}: empty attribute token (doubled '_')")
    pairs = tuple((extra[i], extra[i + 1]) for i in range(0, len(extra) - 1, 2))
    odd = len(extra) % 2 == 1
    if odd:
        pairs += ((extra[-1], ""),)
    return ClipName(section, tokens[2], tokens[3], tokens[4], tokens[5], pairs, odd)


def _is_section(token: str) -> bool:
    return len(token) == 2 and token.isdigit()
