"""The DCASE years pass the dataset conformance kit, on small trees in each year's layout."""

from pathlib import Path

from asdbench.testing import (
    DCASE_LAYOUT_INVALID,
    DCASE_LAYOUT_VARIANTS,
    DatasetConformanceTests,
    write_clips,
    write_ground_truth_csv,
)
from asdbench_dcase.datasets import (
    Dcase2020,
    Dcase2021,
    Dcase2022,
    Dcase2023,
    Dcase2024,
    Dcase2025,
    Dcase2026,
)


def write_year(root: Path, dev: tuple[str, str], eval_: tuple[str, str]) -> Path:
    """A dev section with labelled test clips and an eval section with anonymised ones."""
    machine, section = dev
    folder = root / "dev_data" / machine
    write_clips(
        folder / "train",
        [
            f"section_{section}_source_train_normal_0000_a_1.wav",
            f"section_{section}_source_train_normal_0001_a_2.wav",
            f"section_{section}_target_train_normal_0000_a_3.wav",
        ],
    )
    write_clips(
        folder / "test",
        [
            f"section_{section}_{domain}_test_{label}_0000_a_1.wav"
            for domain in ("source", "target")
            for label in ("normal", "anomaly")
        ],
    )
    machine, section = eval_
    folder = root / "eval_data" / machine
    write_clips(folder / "train", [f"section_{section}_source_train_normal_0000_b_1.wav"])
    names = [f"section_{section}_{i:04d}.wav" for i in range(4)]
    write_clips(folder / "test", names)
    truth = root / "ground_truth"
    write_ground_truth_csv(truth, "data", machine, section, zip(names, [0, 1, 0, 1], strict=True))
    write_ground_truth_csv(truth, "domain", machine, section, zip(names, [0, 0, 1, 1], strict=True))
    return root


class TestDcase2023(DatasetConformanceTests):
    factory = Dcase2023
    option_variants = DCASE_LAYOUT_VARIANTS
    invalid_options = DCASE_LAYOUT_INVALID

    def write_tree(self, root: Path) -> Path:
        return write_year(root, ("fan", "00"), ("bandsaw", "00"))

    def ground_truth(self, root: Path) -> Path:
        return root / "ground_truth"


class TestDcase2022(TestDcase2023):
    factory = Dcase2022

    def write_tree(self, root: Path) -> Path:
        return write_year(root, ("fan", "01"), ("fan", "04"))


class TestDcase2024(TestDcase2023):
    factory = Dcase2024
    #: Any existing folder builds the dataset; its files are read when the tree is loaded.
    option_variants = {
        **DCASE_LAYOUT_VARIANTS,
        "attribute_correspondence": str(Path(__file__).parent),
    }
    invalid_options = {**DCASE_LAYOUT_INVALID, "attribute_correspondence": "/no/such/folder"}

    def write_tree(self, root: Path) -> Path:
        return write_year(root, ("fan", "00"), ("3DPrinter", "00"))


class TestDcase2025(TestDcase2024):
    factory = Dcase2025

    def write_tree(self, root: Path) -> Path:
        return write_year(root, ("fan", "00"), ("AutoTrash", "00"))


class TestDcase2026(TestDcase2023):
    """Its ``channel`` option replaces the inherited ``stereo``."""

    factory = Dcase2026
    option_variants = {
        **{k: v for k, v in DCASE_LAYOUT_VARIANTS.items() if k != "stereo"},
        "channel": "both",
    }
    invalid_options = {**DCASE_LAYOUT_INVALID, "channel": "front"}

    def write_tree(self, root: Path) -> Path:
        return write_year(root, ("fanEmu", "00"), ("Sander", "00"))


class TestDcase2021(TestDcase2023):
    """Test clips in source_test/ and target_test/, evaluation names that keep the domain,
    ground truth one file per section and domain."""

    factory = Dcase2021

    def write_tree(self, root: Path) -> Path:
        folder = root / "dev_data" / "pump"
        write_clips(
            folder / "train",
            [
                "section_01_source_train_normal_0000_strength_1_ambient.wav",
                "section_01_target_train_normal_0000_strength_2_ambient.wav",
            ],
        )
        for domain in ("source", "target"):
            names = [
                f"section_01_{domain}_test_{label}_0000.wav" for label in ("normal", "anomaly")
            ]
            write_clips(folder / f"{domain}_test", names)
        folder = root / "eval_data" / "pump"
        write_clips(folder / "train", ["section_04_source_train_normal_0000_strength_1.wav"])
        truth = root / "ground_truth" / "ground_truth_data"
        truth.mkdir(parents=True)
        for domain in ("source", "target"):
            names = [f"section_04_{domain}_test_{i:04d}.wav" for i in range(2)]
            write_clips(folder / f"{domain}_test", names)
            (truth / f"ground_truth_pump_section_04_{domain}_test.csv").write_text(
                f"{names[0]},0\n{names[1]},1\n"
            )
        return root


class TestDcase2020(TestDcase2023):
    """Machine IDs as sections, one domain, ground truth in eval_data_list.csv."""

    factory = Dcase2020
    inert_options = {"classes": "2020's dev test clips are of the machine IDs it trains on"}

    def write_tree(self, root: Path) -> Path:
        folder = root / "dev_data" / "ToyCar"
        write_clips(folder / "train", ["normal_id_01_00000000.wav", "normal_id_01_00000001.wav"])
        write_clips(folder / "test", ["normal_id_01_00000000.wav", "anomaly_id_01_00000000.wav"])
        folder = root / "eval_data" / "ToyCar"
        write_clips(folder / "train", ["normal_id_05_00000000.wav"])
        write_clips(folder / "test", ["id_05_00000000.wav", "id_05_00000001.wav"])
        truth = root / "ground_truth"
        truth.mkdir()
        (truth / "eval_data_list.csv").write_text(
            "ToyCar\nid_05_00000000.wav,normal_id_05_00000004.wav,0\n"
            "id_05_00000001.wav,anomaly_id_05_00000002.wav,1\n"
        )
        return root
