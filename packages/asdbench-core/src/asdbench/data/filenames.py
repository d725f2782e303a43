"""DCASE Task 2 file names (2021 to 2026): labelled, anonymised and supplemental forms.

Labelled: ``section_<SS>_<domain>_<split>_<label>_<index>[_<key>_<value>]*.wav``. The index is
kept as a string (it is 0- or 1-based depending on the source dataset and not unique across
groups). Attribute keys may hold hyphens, values dots and hyphens; neither holds ``_``. Two
later forms carry no attributes in the name: 2024's ``..._<index>_noAttribute.wav`` (the
attributes were withheld) and 2025's ``..._<index>_.wav`` (they are in ``attributes_<SS>.csv``).
2021's attribute tokens do not pair up (``..._0000_strength_1_ambient.wav``): read with
``paired=False`` they are one ``attribute`` value.

Anonymised eval test names: ``section_<SS>_<NNNN>.wav``, and the variant the baseline READMEs
print, ``section_<SS>_test_<NNNN>.wav``; 2021's keep the domain,
``section_<SS>_<domain>_test_<NNNN>.wav``.

Supplemental clips (2025, ``<machine>/supplemental/``): ``section_<SS>_<machine|noise>_<NNNN>_
[<key>_<value>]*.wav``, clean machine sound or noise alone, recorded apart from the train and
test clips.
"""

from __future__ import annotations

from dataclasses import dataclass

from asdbench.errors import DataError

DOMAINS = ("source", "target")
SPLITS = ("train", "test")
#: What a supplemental clip holds: the machine's sound alone, or the noise alone.
SUPPLEMENTS = ("machine", "noise")
#: The name token of a 2024 clip whose attributes were withheld.
NO_ATTRIBUTE = "noAttribute"
LABELS = ("normal", "anomaly")
EXPECTED = (
    "section_SS_<source|target>_<train|test>_<normal|anomaly>_<index>[_<key>_<value>]*.wav, "
    "section_SS_[<source|target>_test_]NNNN.wav or (in supplemental/) "
    "section_SS_<machine|noise>_NNNN_.wav"
)
#: The key of 2021's attribute text, whose tokens do not pair into keys and values.
ATTRIBUTE = "attribute"


@dataclass(frozen=True)
class ClipName:
    """What a file name says. Anonymised names leave the label ``None`` (and the domain, but
    in 2021's form); ``split`` is ``None`` when the name does not say it (2020's), and the
    folder does."""

    section: str
    domain: str | None
    split: str | None
    label: str | None
    index: str
    attributes: tuple[tuple[str, str], ...] = ()
    #: Set when the attribute tokens did not pair up (the last key got an empty value).
    odd_attributes: bool = False
    #: A supplemental clip's content (``machine`` or ``noise``); None for the other forms.
    supplement: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.label is None and self.supplement is None


def parse_clip_name(name: str, *, paired: bool = True) -> ClipName:
    """Parse a base name; raise ``DataError`` naming the file if it is not a DCASE clip name.
    ``paired=False``: the tokens after the index are one ``attribute`` value (2021)."""
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
    if len(tokens) == 5 and tokens[2] in DOMAINS and tokens[3] == "test" and tokens[4].isdigit():
        return ClipName(section, tokens[2], "test", None, tokens[4])
    if len(tokens) >= 4 and tokens[2] in SUPPLEMENTS and tokens[3].isdigit():
        pairs, odd = _attributes(name, tokens[4:])
        return ClipName(section, None, "supplemental", None, tokens[3], pairs, odd, tokens[2])
    if (
        len(tokens) < 6
        or tokens[2] not in DOMAINS
        or tokens[3] not in SPLITS
        or tokens[4] not in LABELS
        or not tokens[5]
    ):
        raise DataError(f"{name}: not a DCASE clip name (expected {EXPECTED})")
    if not paired:
        text = "_".join(tokens[6:])
        if tokens[6:] and not all(tokens[6:]):
            raise DataError(f"{name}: empty attribute token (doubled '_')")
        attributes = ((ATTRIBUTE, text),) if text else ()
        return ClipName(section, tokens[2], tokens[3], tokens[4], tokens[5], attributes)
    pairs, odd = _attributes(name, tokens[6:])
    return ClipName(section, tokens[2], tokens[3], tokens[4], tokens[5], pairs, odd)


def _attributes(name: str, extra: list[str]) -> tuple[tuple[tuple[str, str], ...], bool]:
    """The (key, value) pairs of the tokens after the index, and whether they paired up."""
    if extra and extra[-1] == "":
        extra = extra[:-1]  # 2025: the name ends in '_', the attributes are in the CSV
    if extra == [NO_ATTRIBUTE]:
        extra = []  # 2024: attributes withheld
    if any(token == "" for token in extra):
        raise DataError(f"{name}: empty attribute token (doubled '_')")
    pairs = tuple((extra[i], extra[i + 1]) for i in range(0, len(extra) - 1, 2))
    odd = len(extra) % 2 == 1
    if odd:
        pairs += ((extra[-1], ""),)
    return pairs, odd


def _is_section(token: str) -> bool:
    return len(token) == 2 and token.isdigit()
