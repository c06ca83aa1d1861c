"""Tests of ``report/patient.py`` (and the figures it embeds) on small synthetic tables."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cllsim.errors import SpecError
from cllsim.report import patient, write_patient_report
from cllsim.report.figures import genotype_colours, treatment_spans

N_VISITS = 50
VISIT_DAYS = np.linspace(0.0, 1470.0, N_VISITS)
LIMITS = {"mrd_blood": 1e-4, "mrd_marrow": 1e-4, "vaf": 1e-3}
COMPARTMENT_SCALE = {"blood": 1e10, "lymph_node": 3e11, "marrow": 2e11}


def _counts() -> pd.DataFrame:
    """WT falls on treatment (days 0-360) and regrows; BTK_C481S grows from 10 cells."""
    t = VISIT_DAYS
    wt = np.exp(-0.05 * np.minimum(t, 360.0) + 0.004 * np.maximum(t - 360.0, 0.0))
    btk = 10.0 * np.exp(0.017 * t)
    rows = []
    for compartment, scale in COMPARTMENT_SCALE.items():
        for genotype, fraction in (("WT", scale * wt), ("BTK_C481S", btk * scale / 1e10)):
            for phenotype, share in (("sensitive", 0.99), ("persister", 0.01)):
                cells = np.floor(fraction * share).astype(np.int64)
                if genotype == "BTK_C481S" and phenotype == "persister":
                    cells[:10] = 0  # zero counts must be masked on the log axis
                rows.append(
                    pd.DataFrame(
                        {"time_days": t, "compartment": compartment, "genotype": genotype,
                         "phenotype": phenotype, "cells": cells}
                    )
                )  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def _observables(counts: pd.DataFrame) -> pd.DataFrame:
    blood = counts[counts["compartment"] == "blood"].groupby("time_days")["cells"].sum()
    btk = counts[(counts["compartment"] == "blood") & (counts["genotype"] == "BTK_C481S")]
    btk = btk.groupby("time_days")["cells"].sum()
    normal = 2e9
    mrd_blood = (blood / (blood + normal)).to_numpy()
    mrd_marrow = np.minimum(3.0 * mrd_blood, 0.95)
    vaf_btk = (0.5 * btk / blood).to_numpy()
    return pd.DataFrame(
        {
            "time_days": VISIT_DAYS,
            "alc_1e9_per_l": blood.to_numpy() / 5e9 + 1.5,
            "ln_volume_ml": 40.0 * mrd_marrow + 2.0,
            "mrd_blood": mrd_blood,
            "mrd_marrow": mrd_marrow,
            "mrd_blood_measured": np.where(mrd_blood >= 1e-4, mrd_blood, np.nan),
            "mrd_marrow_measured": np.where(mrd_marrow >= 1e-4, mrd_marrow, np.nan),
            "vaf_BTK_C481S": np.where(vaf_btk >= 1e-3, vaf_btk, np.nan),
            "on_treatment": VISIT_DAYS <= 360.0,
        }
    )


def _doses() -> pd.DataFrame:
    ramp = [(21.0 + 7 * week + day, 20.0 * (1, 2.5, 5, 10, 20)[week]) for week in range(5)
            for day in range(7)]  # fmt: skip
    daily = [(56.0 + day, 400.0) for day in range(0, 300, 1)]
    obi = [(0.0, 100.0), (1.0, 900.0), (7.0, 1000.0), (14.0, 1000.0)]
    obi += [(28.0 * cycle, 1000.0) for cycle in range(1, 6)]
    rows = [(t, "venetoclax", a) for t, a in ramp + daily] + [
        (t, "obinutuzumab", a) for t, a in obi
    ]
    return pd.DataFrame(rows, columns=["time_days", "drug", "amount_mg"])


def _summary() -> dict:
    return {
        "seed": 20240611,
        "progression_day": 1460.0,
        "progression_reason": "lymph_node_enlargement",
        "dominant_genotype_at_progression": "BTK_C481S",
        "treatment_end_day": 363.0,
        "cllsim_version": "0.1.0",
        "scenario": "ven-obi",
    }


@pytest.fixture
def tables() -> dict:
    counts = _counts()
    return {
        "counts": counts,
        "observables": _observables(counts),
        "summary": _summary(),
        "doses": _doses(),
        "assay_limits": dict(LIMITS),
    }


def _write(path: Path, tables: dict, title: str = "Patient 7, ven-obi") -> Path:
    return write_patient_report(path, title=title, **tables)


class _NestingChecker(HTMLParser):
    """Fails on a close tag that does not match the innermost open element."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.doctype = ""
        self.tags: set[str] = set()

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def test_report_is_self_contained_html(tmp_path, tables):
    out = _write(tmp_path / "report.html", tables)
    assert out == tmp_path / "report.html" and out.is_file()
    html = out.read_text(encoding="utf-8")
    checker = _NestingChecker()
    checker.feed(html)
    checker.close()
    assert checker.doctype.lower() == "doctype html"
    assert checker.stack == [], f"unclosed elements {checker.stack}"
    assert {"html", "head", "body", "title", "table", "img"} <= checker.tags
    assert "Patient 7, ven-obi" in html
    for key in tables["summary"]:
        assert f">{key}<" in html, key
    assert html.count("data:image/png;base64,") >= 4
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_reading_states_progression_and_dominant_genotype(tmp_path, tables):
    html = _write(tmp_path / "report.html", tables).read_text(encoding="utf-8")
    assert "Progression on day 1460 (4.0 years) by lymph node enlargement" in html
    assert "dominant genotype at progression BTK_C481S" in html
    assert "venetoclax from day 21 to day 355 (335 doses, 20–400 mg)" in html
    assert "Blood MRD was undetectable (&lt; 1e-4)" in html


def test_title_is_escaped(tmp_path, tables):
    title = "<script>alert('x')</script> & co"
    html = _write(tmp_path / "report.html", tables, title=title).read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in html


def test_untreated_patient_without_doses(tmp_path, tables):
    tables["doses"] = tables["doses"].iloc[:0]
    tables["observables"]["on_treatment"] = False
    tables["summary"].update(progression_day=None, treatment_end_day=None)
    html = _write(tmp_path / "report.html", tables).read_text(encoding="utf-8")
    assert "No drug was given." in html
    assert "No progression up to the last visit on day 1470" in html
    assert html.count("data:image/png;base64,") >= 4


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("counts", "phenotype"),
        ("counts", "cells"),
        ("observables", "mrd_marrow_measured"),
        ("observables", "on_treatment"),
        ("doses", "amount_mg"),
    ],
)
def test_missing_column_names_table_and_column(tmp_path, tables, table, column):
    tables[table] = tables[table].drop(columns=[column])
    with pytest.raises(SpecError, match=rf"table '{table}' lacks .*'{column}'"):
        _write(tmp_path / "report.html", tables)
    assert list(tmp_path.iterdir()) == []


def test_all_missing_columns_are_named(tmp_path, tables):
    tables["observables"] = tables["observables"].drop(columns=["alc_1e9_per_l", "ln_volume_ml"])
    with pytest.raises(SpecError, match="'alc_1e9_per_l', 'ln_volume_ml'"):
        _write(tmp_path / "report.html", tables)


@pytest.mark.parametrize("table", ["counts", "observables"])
def test_empty_table_is_rejected(tmp_path, tables, table):
    tables[table] = tables[table].iloc[:0]
    with pytest.raises(SpecError, match=f"table '{table}' is empty"):
        _write(tmp_path / "report.html", tables)


def test_non_numeric_column_is_rejected(tmp_path, tables):
    tables["counts"] = tables["counts"].assign(cells="many")
    with pytest.raises(SpecError, match="table 'counts' column 'cells' must be numeric"):
        _write(tmp_path / "report.html", tables)


def test_missing_summary_key_and_bad_limit(tmp_path, tables):
    del tables["summary"]["progression_reason"]
    with pytest.raises(SpecError, match=r"summary lacks key.*'progression_reason'"):
        _write(tmp_path / "report.html", tables)
    tables["summary"] = _summary()
    tables["assay_limits"]["vaf"] = 2.0
    with pytest.raises(SpecError, match=r"assay_limits vaf must be a fraction in \(0, 1\), got 2"):
        _write(tmp_path / "report.html", tables)


def test_invalid_input_leaves_existing_report_untouched(tmp_path, tables):
    out = tmp_path / "report.html"
    out.write_text("previous report", encoding="utf-8")
    tables["counts"] = tables["counts"].drop(columns=["genotype"])
    with pytest.raises(SpecError, match="'genotype'"):
        _write(out, tables)
    assert out.read_text(encoding="utf-8") == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_failed_rendering_leaves_nothing_behind(tmp_path, tables, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("figure failed")

    monkeypatch.setattr(patient, "draw_report_figures", broken)
    with pytest.raises(RuntimeError, match="figure failed"):
        _write(tmp_path / "report.html", tables)
    assert list(tmp_path.iterdir()) == []


def test_failed_replace_removes_temporary_and_keeps_old_report(tmp_path, tables, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("previous report", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(patient.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        _write(out, tables)
    assert out.read_text(encoding="utf-8") == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_genotype_colours_do_not_depend_on_order():
    forward = genotype_colours(["WT", "BTK_C481S", "NEW_A", "NEW_B"])
    backward = genotype_colours(["NEW_B", "NEW_A", "BTK_C481S", "WT"])
    assert forward == backward
    assert list(forward) == ["WT", "BTK_C481S", "NEW_A", "NEW_B"]
    assert len(set(forward.values())) == 4


def test_treatment_spans_join_consecutive_visits():
    times = np.array([0.0, 10.0, 20.0, 30.0, 40.0, 50.0])
    on = np.array([True, True, False, False, True, True])
    assert treatment_spans(times, on) == [(0.0, 20.0), (40.0, 50.0)]
