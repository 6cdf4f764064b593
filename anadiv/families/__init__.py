"""Distribution families: one module each, registered in :data:`FAMILIES`.

:class:`Independent` is no family (it wraps one) and is not in :data:`FAMILIES`.
"""

from __future__ import annotations

from ._base import FAMILIES, Family, Param
from .beta import Beta
from .cauchy import Cauchy
from .diagonal_normal import DiagonalNormal
from .exponential import Exponential
from .gamma import Gamma
from .gumbel import Gumbel
from .independent import Independent
from .laplace import Laplace
from .lognormal import LogNormal
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .studentt import StudentT
from .uniform import Uniform
from .weibull import Weibull

__all__ = [
    "FAMILIES",
    "Family",
    "Param",
    "Normal",
    "Exponential",
    "Gamma",
    "Laplace",
    "Uniform",
    "Beta",
    "LogNormal",
    "Cauchy",
    "Gumbel",
    "Weibull",
    "StudentT",
    "MultivariateNormal",
    "DiagonalNormal",
    "Independent",
]
