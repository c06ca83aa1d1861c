"""Patient files: built-ins load; a bad file stops the CLI with exit 2, one line naming the
file, the field and the value, and nothing written."""

import pytest

from cllsim import cli
from cllsim.navigate import builtin_patients, load_patient

GOOD = """name: p
traits: {age_years: 70, ighv: mutated}
treatments: [{regimen: ibrutinib, start: 2024-01-01}]
visits:
  - {date: 2024-01-01, alc_1e9_per_l: 20}
  - {date: 2024-04-01, alc_1e9_per_l: 12, mrd_blood: undetectable, vaf: {PLCG2: 0.01}}
"""


def test_builtin_patients_load():
    names = builtin_patients()
    assert {"watch-and-wait", "on-ibrutinib"} <= set(names)
    for name in names:
        p = load_patient(name)
        assert p.visit_days[0] == 0.0 and list(p.visit_days) == sorted(p.visit_days)


def test_good_file_days_from_first_visit(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text(GOOD)
    p = load_patient(f)
    assert p.visit_days == (0.0, 91.0)
    assert p.visits[1].mrd_blood == "undetectable" and p.visits[1].vaf["PLCG2"] == 0.01


def test_bulky_nodes_beyond_the_massive_threshold_load(tmp_path):
    """A nodal volume past iwCLL's massive lymphadenopathy (5,236 mL of nodal disease for a
    10-cm largest node) is a valid measurement (the file's bound is 20 L)."""
    f = tmp_path / "p.yaml"
    f.write_text(GOOD.replace("alc_1e9_per_l: 12,", "alc_1e9_per_l: 12, ln_volume_ml: 6000,"))
    assert load_patient(f).visits[1].ln_volume_ml == 6000.0


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (("name: p", "name: p\nfoo: 1"), "foo: unknown key"),
        (("mrd_blood: undetectable", "mrd_blood: 1.5"), "visits.1.mrd_blood"),
        (("age_years: 70", "age_years: -3"), "traits.age_years"),
        (("PLCG2: 0.01", "KRAS: 0.01"), "visits.1.vaf.KRAS"),
        (("regimen: ibrutinib", "regimen: aspirin"), "treatments.0.regimen"),
        (("2024-04-01", "2023-04-01"), "visits.1.date"),
        (("alc_1e9_per_l: 12,", "alc_1e9_per_l: 12, ln_volume_ml: 25000,"), "ln_volume_ml"),
        (("{date: 2024-01-01, alc_1e9_per_l: 20}", "{date: 2024-01-01}"), "first visit must"),
    ],
)
def test_bad_patient_exit_2_one_line_nothing_written(tmp_path, capsys, edit, fragment):
    f = tmp_path / "bad.yaml"
    f.write_text(GOOD.replace(*edit))
    out = tmp_path / "out"
    for command in ("forecast", "navigate"):
        assert cli.main([command, str(f), "--seed", "1", "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("cllsim: error: ") and str(f) in err and fragment in err, err
        assert len(err.splitlines()) == 1
        assert not out.exists()


def test_bad_strategy_file_exit_2(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    f.write_text("strategies:\n  - {name: x, lines: [ibrutinib], mrd_restart_above: 0.01}\n")
    out = tmp_path / "out"
    code = cli.main(["navigate", "on-ibrutinib", "--strategies", str(f), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "mrd_restart_above needs mrd_stop_below" in err and str(f) in err
    assert len(err.splitlines()) == 1 and not out.exists()


def test_plan_is_the_proposal_else_the_ongoing_regimen_else_none(tmp_path):
    from cllsim.navigate import plan_strategy

    f = tmp_path / "p.yaml"
    f.write_text(GOOD)
    assert plan_strategy(load_patient(f)).lines == ("ibrutinib",)  # ongoing
    f.write_text(GOOD + "proposed: {regimen: ven-obi}\n")
    assert plan_strategy(load_patient(f)).lines == ("ven-obi",)
    f.write_text(GOOD + "proposed: {regimen: none}\n")
    assert plan_strategy(load_patient(f)) is None
    f.write_text(GOOD.replace("start: 2024-01-01}", "start: 2024-01-01, stop: 2024-02-01}"))
    assert plan_strategy(load_patient(f)) is None  # stopped before the last visit
