"""What the clinic sees: ALC, lymph-node volume, MRD, VAF, and the iwCLL 2018 criteria.

The stage takes one patient's tidy counts table (``time_days, compartment, genotype,
phenotype, cells``) and treatment periods, and returns a table with one row per visit.
"""

from cllsim.clinic.assays import (
    MRD_ASSAYS,
    MRD_CATEGORIES,
    UMRD4,
    VAF_ASSAYS,
    MrdAssay,
    VafAssay,
    is_umrd,
    measure_fraction,
    mrd_category,
)
from cllsim.clinic.counts import (
    COMPARTMENTS,
    COUNT_COLUMNS,
    PHENOTYPES,
    WILD_TYPE,
    compartment_totals,
    genotype_totals,
    validate_counts,
)
from cllsim.clinic.iwcll import (
    IWCLL_2018,
    ClinicalEvent,
    IwcllCriteria,
    progression,
    progression_of,
    response_categories,
    treatment_indication,
)
from cllsim.clinic.measures import (
    alc_1e9_per_l,
    ln_volume_ml,
    mrd_blood,
    mrd_marrow,
    vaf_blood,
    vaf_column,
)
from cllsim.clinic.observables import (
    OBSERVABLE_COLUMNS,
    RESISTANCE_GENOTYPES,
    VISIT_TIME_TOLERANCE_DAYS,
    CountTotals,
    count_totals,
    observables,
)
from cllsim.clinic.physiology import DEFAULT_PHYSIOLOGY, Physiology
from cllsim.clinic.treatment import (
    DRUG_CLASSES,
    TreatmentPeriod,
    as_treatment_periods,
    first_treatment_day,
    on_drug_class,
    on_treatment,
)

__all__ = [
    "COMPARTMENTS",
    "COUNT_COLUMNS",
    "DEFAULT_PHYSIOLOGY",
    "DRUG_CLASSES",
    "IWCLL_2018",
    "MRD_ASSAYS",
    "MRD_CATEGORIES",
    "OBSERVABLE_COLUMNS",
    "PHENOTYPES",
    "RESISTANCE_GENOTYPES",
    "UMRD4",
    "VAF_ASSAYS",
    "VISIT_TIME_TOLERANCE_DAYS",
    "WILD_TYPE",
    "ClinicalEvent",
    "CountTotals",
    "IwcllCriteria",
    "MrdAssay",
    "Physiology",
    "TreatmentPeriod",
    "VafAssay",
    "alc_1e9_per_l",
    "as_treatment_periods",
    "compartment_totals",
    "count_totals",
    "first_treatment_day",
    "genotype_totals",
    "is_umrd",
    "ln_volume_ml",
    "measure_fraction",
    "mrd_blood",
    "mrd_category",
    "mrd_marrow",
    "observables",
    "on_drug_class",
    "on_treatment",
    "progression",
    "progression_of",
    "response_categories",
    "treatment_indication",
    "vaf_blood",
    "vaf_column",
    "validate_counts",
]
