"""Scenario files: built-ins load; bad files fail with one message naming file, field, value."""

import pytest

from cllsim.errors import InputFileError, SpecError
from cllsim.model import builtin_scenarios, load_scenario

_CYCLES = "name: x\ntreatment:\n  regimen: cll14-ven-obi\n  cycle_starts_days: [{}]\n"
BUILTINS = ("untreated", "ibrutinib-continuous", "ven-obi", "clb-obi", "venetoclax-continuous")


def test_builtin_scenarios_are_listed_and_load():
    names = builtin_scenarios()
    assert set(BUILTINS) <= set(names)
    for name in BUILTINS:
        assert load_scenario(name).name == name


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("name: x\nhorizn_days: 10\n", ["horizn_days", "unknown key"]),
        ("name: x\ntreatment:\n  extra_doses:\n  - {day: 3, drug: venetoclax, amount_mg: -5}\n",
         ["treatment.extra_doses.0.amount_mg", "greater than 0", "-5"]),
        ("name: x\ntreatment:\n  extra_doses:\n  - {day: 3, drug: aspirin, amount_mg: 5}\n",
         ["treatment.extra_doses.0.drug", "'aspirin'", "ibrutinib"]),
        (_CYCLES.format("0, 28, 50, 84, 112, 140, 168, 196, 224, 252, 280, 308"),
         ["treatment.cycle_starts_days", "overlapping cycle 2"]),
        (_CYCLES.format("0, 28, 56, 40, 112, 140, 168, 196, 224, 252, 280, 308"),
         ["treatment.cycle_starts_days", "out of order"]),
        ("name: x\nhistory:\n  mode: explicit\n  subclones: {BTK_C999X: 10}\n",
         ["unknown genotype 'BTK_C999X'"]),
        ("name: x\npersisters:\n  entry_per_kill: 1.5\n",
         ["persisters.entry_per_kill", "less than or equal to 1", "1.5"]),
        ("name: x\ntreatment:\n  regimen: rituximab\n", ["treatment.regimen", "'rituximab'"]),
        ("name: [unclosed\n", ["not valid YAML"]),
    ],
)  # fmt: skip
def test_bad_scenario_file_names_file_field_and_value(tmp_path, body, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(body)
    with pytest.raises(InputFileError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert "\n" not in message
    for part in expected:
        assert part in message, message
    assert isinstance(info.value, SpecError)


def test_missing_file_names_the_builtins(tmp_path):
    with pytest.raises(InputFileError, match="no such file, and not a built-in scenario"):
        load_scenario(tmp_path / "nope.yaml")


def test_bad_visit_days_and_exposure_are_refused_with_the_field_named(tmp_path):
    import pytest

    from cllsim.errors import SpecError
    from cllsim.model import load_scenario

    f = tmp_path / "s.yaml"
    f.write_text("name: x\nvisits: {days: [30, 10]}\n")
    with pytest.raises(SpecError, match=r"visits\.days"):
        load_scenario(f)
    f.write_text("name: x\npatient: {drug_exposure: {venetoclax: 0}}\n")
    with pytest.raises(SpecError, match=r"drug_exposure"):
        load_scenario(f)
    f.write_text("name: x\npatient: {drug_exposure: {aspirin: 2}}\n")
    with pytest.raises(SpecError, match=r"drug_exposure"):
        load_scenario(f)
