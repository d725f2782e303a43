"""The built-in synthetic machine-sound dataset, as hard as DCASE's in the ways DCASE's data is
hard (docs/datasets.md has each property, its fact and its source).

The pipeline of a clip: ``design`` draws what it is (attribute values, operating point,
specimen, fault, noise, signal-to-noise ratio, microphone), ``machines`` renders the machine's
own sound, ``noise`` the factory's, ``mixing`` puts them together as the real datasets were
mixed, and ``tree`` writes them as a DCASE tree that ``dataset`` reads back.
"""

from asdbench.synthetic.dataset import Synthetic2022Dataset, SyntheticDataset
from asdbench.synthetic.design import DEFAULT_CLIP_SECONDS, SIZES, machine_types
from asdbench.synthetic.tree import GENERATOR_VERSION, SynthesisPlan, ensure_tree, write_tree

__all__ = [
    "DEFAULT_CLIP_SECONDS",
    "GENERATOR_VERSION",
    "SIZES",
    "SynthesisPlan",
    "Synthetic2022Dataset",
    "SyntheticDataset",
    "ensure_tree",
    "machine_types",
    "write_tree",
]
