"""Small trials for the tests: the CLL14 design with a short follow-up."""

from pathlib import Path

import pytest
import yaml

BUILTIN = Path(__file__).resolve().parents[2] / "src" / "cllsim" / "trials" / "builtin"


def cll14_dict(**changes):
    """The built-in CLL14 trial file as a dict, with top-level keys replaced."""
    data = yaml.safe_load((BUILTIN / "cll14.yaml").read_text())
    data.update(changes)
    return data


@pytest.fixture
def short_trial_file(tmp_path) -> Path:
    """CLL14 with 1.5 years of follow-up (MRD visit on day 427 included), as a file."""
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(cll14_dict(name="short", follow_up={"years": 1.5})))
    return path
