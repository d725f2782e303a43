from pathlib import Path

import asdbench
from asdbench.testing import (
    DCASE_LAYOUT_INVALID,
    DCASE_LAYOUT_VARIANTS,
    DatasetConformanceTests,
    write_clips,
)
from asdbench_example_dataset.dataset import PumpStation


def write_station(root: Path, clips: int = 2) -> Path:
    """Both pumps: source and target training clips, labelled test clips of both domains."""
    for pump in ("PumpA", "PumpB"):
        folder = root / "dev_data" / pump
        write_clips(
            folder / "train",
            [
                f"section_00_{domain}_train_normal_{i:04d}_load_{load}.wav"
                for domain, load in (("source", 1), ("target", 2))
                for i in range(clips)
            ],
        )
        write_clips(
            folder / "test",
            [
                f"section_00_{domain}_test_{label}_{i:04d}_load_{load}.wav"
                for domain, load in (("source", 1), ("target", 2))
                for label in ("normal", "anomaly")
                for i in range(clips)
            ]
            # a load the target training clips do not have: a class of its own with
            # classes="train+dev-test"
            + ["section_00_target_test_normal_9999_load_3.wav"],
        )
    return root


class TestPumpStationConformance(DatasetConformanceTests):
    factory = PumpStation
    option_variants = DCASE_LAYOUT_VARIANTS
    invalid_options = DCASE_LAYOUT_INVALID

    def write_tree(self, root: Path) -> Path:
        return write_station(root)


def test_the_tree_has_both_pumps_in_dev(tmp_path):
    table = PumpStation().load(write_station(tmp_path))
    assert {(c.partition, c.machine, c.section) for c in table} == {
        ("dev", "PumpA", "00"),
        ("dev", "PumpB", "00"),
    }
    assert table.problems == []
    assert PumpStation().clip_samples == 80_000


def test_plugin_is_discoverable():
    """Installed with pip, the entry point registers the dataset under its name."""
    assert asdbench.component("dataset", "pump_station").plugin.distribution == (
        "asdbench-example-dataset"
    )
