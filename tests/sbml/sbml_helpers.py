"""Helpers for the SBML tests: where the suite lives, and small hand-written SBML models."""

from __future__ import annotations

from pathlib import Path

#: The 16 DSMTS cases of the SBML stochastic test suite, kept beside the repository.
SUITE = Path(__file__).resolve().parents[2] / ".." / "shared" / "sbml-stochastic"
CASES = (
    "00001", "00003", "00005", "00007", "00009", "00011", "00013", "00015",
    "00017", "00019", "00020", "00022", "00024", "00028", "00037", "00039",
)  # fmt: skip


def case_files(suite: Path, case: str, level: str = "l3v2") -> tuple[Path, Path, Path]:
    """(model, settings, expected results) of one case."""
    folder = suite / case
    return (
        folder / f"{case}-sbml-{level}.xml",
        folder / f"{case}-settings.txt",
        folder / f"{case}-results.csv",
    )


def sbml_text(
    reactions: str,
    *,
    species: str = '<species id="X" compartment="C" initialAmount="100" '
    'hasOnlySubstanceUnits="true" boundaryCondition="false" constant="false"/>',
    parameters: str = '<parameter id="k" value="0.1" constant="true"/>',
    compartment_size: str = "1",
    extra: str = "",
) -> str:
    """An SBML Level 3 Version 2 document with the given parts (reactions as XML)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="hand">
    <listOfCompartments>
      <compartment id="C" spatialDimensions="3" size="{compartment_size}" constant="true"/>
    </listOfCompartments>
    <listOfSpecies>{species}</listOfSpecies>
    <listOfParameters>{parameters}</listOfParameters>
    {extra}
    <listOfReactions>{reactions}</listOfReactions>
  </model>
</sbml>
"""


def reaction(rid: str, reactants: str, products: str, law: str, local: str = "") -> str:
    """One reaction: ``reactants``/``products`` as 'X:1 Y:2', ``law`` as MathML content."""

    def refs(spec: str) -> str:
        out = []
        for item in spec.split():
            sid, _, stoich = item.partition(":")
            out.append(
                f'<speciesReference species="{sid}" stoichiometry="{stoich or 1}" constant="true"/>'
            )
        return "".join(out)

    parts = [f'<reaction id="{rid}" reversible="false">']
    if reactants:
        parts.append(f"<listOfReactants>{refs(reactants)}</listOfReactants>")
    if products:
        parts.append(f"<listOfProducts>{refs(products)}</listOfProducts>")
    parts.append(
        '<kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">'
        f"{law}</math>{local}</kineticLaw></reaction>"
    )
    return "".join(parts)


def times(*names: str) -> str:
    """MathML for the product of ``names`` (``<ci>`` elements)."""
    return "<apply><times/>" + "".join(f"<ci>{n}</ci>" for n in names) + "</apply>"


SETTINGS_TEXT = """start: 0
duration: 10
steps: 10
variables: X
absolute:
relative:
amount: X
concentration:
output: X-mean, X-sd
meanRange: (-3, 3)
sdRange: (-5, 5)
"""
