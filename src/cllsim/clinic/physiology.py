"""The patient's normal (non-CLL) cells and volumes that turn cell counts into clinical values.

Every default is listed here with its unit and source.  Tags follow ``reference/cll.md``:
[V] checked against the paper or its abstract; [M] remembered, not re-checked; [A] a
modelling assumption, with the reason beside it.

===============================  ==========  ====================================================
field                            default     source
===============================  ==========  ====================================================
blood_volume_l                   5.0 L       reference/cll.md "Measurement" (blood ~5 L); a
                                             70-kg adult by Nadler 1962's formula [M]
normal_lymphocytes_1e9_per_l     1.5         [A] non-CLL lymphocytes (T and NK cells, residual
                                             normal B cells); the adult reference interval is
                                             about 1-4 x 10^9/L, CLL suppresses normal B cells
normal_leukocytes_1e9_per_l      6.0         [A] non-CLL leukocytes (neutrophils, monocytes, the
                                             lymphocytes above ...); middle of the adult
                                             reference interval of about 4-11 x 10^9/L
normal_marrow_nucleated_cells    7.3e11      Harrison 1962: 10.4e9 nucleated cells per kg body
                                             weight (Fe-59 method, 10 normal adults) [V,
                                             abstract] x 70 kg; held constant (CLL infiltration
                                             does not displace it) [A]
ln_cells_per_ml                  1e9         reference/cll.md "Measurement": lymph-node tissue
                                             ~1e9 cells per mL [M]
hemizygous_genotypes             ()          [A] every resistance mutation heterozygous (one
                                             mutant copy of two); see :class:`Physiology`
===============================  ==========  ====================================================

References
----------
.. [1] Nadler SB, Hidalgo JH, Bloch T, "Prediction of blood volume in normal human adults",
   Surgery 1962;51(2):224-232, PMID 21936146.
.. [2] Harrison WJ, "The total cellularity of the bone marrow in man", J Clin Pathol
   1962;15(3):254-259, doi:10.1136/jcp.15.3.254.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DEFAULT_PHYSIOLOGY", "Physiology"]


class Physiology(BaseModel):
    """Volumes and normal-cell numbers of one patient, used by every clinical measure.

    The variant allele fraction of a mutation is the fraction of mutant copies among all copies
    of its locus in blood DNA.  With the same copy number at the locus in every cell, a mutant
    cell contributes ``f`` mutant copies per copy, where ``f = 0.5`` for a heterozygous mutation
    (the default) and ``f = 1`` for one in ``hemizygous_genotypes``.  BTK lies on chromosome X:
    in a male patient every cell has one copy, so a BTK-mutant cell is hemizygous and ``f = 1``
    (list ``"BTK_C481S"`` here); in a female patient one of two copies is mutant and ``f = 0.5``.
    The default keeps 0.5 for every genotype: it is the female and the autosomal case and it
    does not overstate the VAF of a male patient by more than 2-fold.  TP53 after del(17p) is
    also hemizygous, but there copy number differs between cells, so ``f = 1`` is approximate.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    blood_volume_l: float = Field(5.0, gt=0, description="total blood volume, L")
    normal_lymphocytes_1e9_per_l: float = Field(
        1.5, ge=0, description="non-CLL lymphocytes in blood, 10^9 cells per L"
    )
    normal_leukocytes_1e9_per_l: float = Field(
        6.0,
        gt=0,
        description="non-CLL leukocytes in blood (including the normal lymphocytes), "
        "10^9 cells per L",
    )
    normal_marrow_nucleated_cells: float = Field(
        7.3e11, gt=0, description="non-CLL nucleated cells in the whole marrow, cells"
    )
    ln_cells_per_ml: float = Field(
        1e9, gt=0, description="CLL cells per mL of lymph-node tissue, cells per mL"
    )
    hemizygous_genotypes: tuple[str, ...] = Field(
        (),
        description="genotypes whose mutant cells carry the mutation on every copy of the "
        "locus (allele fraction 1 per mutant cell; others 0.5), e.g. BTK_C481S in a male",
    )

    @model_validator(mode="after")
    def _lymphocytes_within_leukocytes(self) -> Physiology:
        if self.normal_lymphocytes_1e9_per_l > self.normal_leukocytes_1e9_per_l:
            raise ValueError(
                "normal_lymphocytes_1e9_per_l must be <= normal_leukocytes_1e9_per_l "
                f"(lymphocytes are leukocytes), got {self.normal_lymphocytes_1e9_per_l} > "
                f"{self.normal_leukocytes_1e9_per_l}"
            )
        return self

    def mutant_allele_fraction(self, genotype: str) -> float:
        """Mutant copies per copy of the locus in one mutant cell: 1.0 or 0.5 (dimensionless)."""
        return 1.0 if genotype in self.hemizygous_genotypes else 0.5


#: The reference patient: every default in the table of this module.
DEFAULT_PHYSIOLOGY = Physiology()
