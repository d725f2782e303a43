"""Every option of every first-party component is documented where it is declared, so that
`asdbench list` explains it."""

import asdbench
from asdbench.contracts import KINDS
from asdbench.training.settings import train_options

FIRST_PARTY = {
    "asdbench-core",
    "asdbench-adaproj",
    "asdbench-losses",
    "asdbench-dcase",
    "asdbench-ensemble",
    "asdbench-backends",
    "asdbench-pretrained",
}


def test_every_first_party_option_has_a_description():
    seen, missing = 0, []
    for kind in KINDS:
        for name in asdbench.available(kind):
            component = asdbench.component(kind, name)
            if (component.plugin.distribution or "asdbench-core") not in FIRST_PARTY:
                continue
            for option in component.options():
                seen += 1
                if not option.description:
                    missing.append(f"{kind} {name}: {option.name}")
    assert seen > 30
    assert missing == []


def test_every_training_setting_has_a_description():
    assert [name for name, o in train_options().items() if not o.description] == []
