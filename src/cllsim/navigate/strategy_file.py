"""Strategy files (YAML): strategies the user writes, validated like every other spec.

```yaml
strategies:
  - name: ven-obi-then-btki
    lines: [ven-obi, ibrutinib]
  - name: early-stop
    lines: [ibrutinib-venetoclax]
    mrd_stop_below: 1.0e-4
    mrd_min_days: 270
    mrd_restart_above: 1.0e-3
```
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cllsim.model.files import load_spec_file
from cllsim.navigate.strategies import StrategySpec

__all__ = ["StrategyFile", "load_strategies"]


class StrategyFile(BaseModel):
    """A file of user strategies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategies: tuple[StrategySpec, ...] = Field(min_length=1)


def load_strategies(path: str | Path) -> tuple[StrategySpec, ...]:
    """Strategies from a YAML file (see the module docstring).

    Raises
    ------
    InputFileError
        Missing file, bad YAML or an invalid field (one line naming file, field and value).
    """
    spec = load_spec_file(path, StrategyFile, kind="strategy file", docs="docs/navigate.md")
    return spec.strategies
