"""Record what the official DCASE2023 Task 2 evaluator computes on a small submission, so that
``asdbench evaluate`` is tested against the evaluator's own output rather than a transcription
of its definition.

The ground truth and the scores are made up here (seeded), under the seven DCASE2023 eval
machine type names; nothing of the evaluator's ground truth is used or recorded. Run once with
a Python that has numpy, scipy, scikit-learn, pandas, matplotlib, seaborn and tqdm:

    git clone https://github.com/nttcslab/dcase2023_task2_evaluator /tmp/evaluator
    python scripts/record_dcase2023_evaluator.py /tmp/evaluator \
        packages/asdbench-core/tests/recorded/dcase2023_evaluator.json
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

MACHINES = ["ToyDrone", "ToyNscale", "ToyTank", "Vacuum", "bandsaw", "grinder", "shaker"]
#: Test clips per (source normal, source anomaly, target normal, target anomaly), one
#: balanced, the others unbalanced like the real set.
COUNTS = [(6, 6, 6, 6), (9, 5, 8, 4), (7, 3, 5, 6), (5, 5, 5, 5), (11, 7, 9, 4), (14, 4, 5, 4),
          (6, 7, 7, 6)]  # fmt: skip


def write_csv(path: Path, rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows(rows)


def make_sections(rng: np.random.Generator) -> dict[str, dict[str, list]]:
    sections = {}
    for number, (machine, counts) in enumerate(zip(MACHINES, COUNTS, strict=True)):
        groups = [(0, 0), (0, 1), (1, 0), (1, 1)]  # (domain, label)
        pairs = [g for g, count in zip(groups, counts, strict=True) for _ in range(count)]
        order = rng.permutation(len(pairs))
        domains = [pairs[i][0] for i in order]
        labels = [pairs[i][1] for i in order]
        scores = rng.normal(size=len(labels)) + 0.9 * np.array(labels) + 0.4 * np.array(domains)
        if number == 2:  # ties, as a coarse score gives them
            scores = np.round(scores, 1)
        sections[machine] = {
            "files": [f"section_00_{i:04d}.wav" for i in range(len(labels))],
            "labels": labels,
            "domains": domains,
            "scores": [float(s) for s in scores],
            "decisions": [int(s > np.median(scores)) for s in scores],
        }
    return sections


def main(evaluator: Path, output: Path) -> None:
    sections = make_sections(np.random.default_rng(2023))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder) / "evaluator"
        shutil.copytree(evaluator, work, ignore=shutil.ignore_patterns(".git", "ground_truth_*"))
        system = work / "teams" / "team" / "system"
        for machine, section in sections.items():
            name = f"ground_truth_{machine}_section_00_test.csv"
            files = section["files"]
            write_csv(
                work / "ground_truth_data" / name, list(zip(files, section["labels"], strict=True))
            )
            write_csv(
                work / "ground_truth_domain" / name,
                list(zip(files, section["domains"], strict=True)),
            )
            write_csv(work / "ground_truth_attributes" / name, [[f, f] for f in files])
            write_csv(system / f"anomaly_score_{machine}_section_00_test.csv",
                      list(zip(files, section["scores"], strict=True)))  # fmt: skip
            write_csv(system / f"decision_result_{machine}_section_00_test.csv",
                      list(zip(files, section["decisions"], strict=True)))  # fmt: skip
        command = [
            sys.executable,
            "dcase2023_task2_evaluator.py",
            "--dir_depth=2",
            "--teams_root_dir=./teams",
            "--result_dir=./teams_result",
            "--additional_result_dir=./teams_additional_result",
            "--out_all=False",
        ]
        subprocess.run(command, cwd=work, check=True)
        result = (work / "teams_result" / "system_result.csv").read_text()
    import scipy
    import sklearn

    commit = subprocess.run(
        ["git", "-C", str(evaluator), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    record = {
        "evaluator": "nttcslab/dcase2023_task2_evaluator",
        "commit": commit or None,
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "sections": sections,
        "result_csv": result,
    }
    output.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
