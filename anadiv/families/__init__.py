"""Distribution families: one module each, registered in :data:`FAMILIES`.

Every public module of this package is imported below (:func:`_import_family_modules`),
so adding a family is adding its file: the class registers itself in
:data:`FAMILIES` when its module is imported and is exported here (and from
``anadiv``) under its class name. The explicit imports of the built-in
families only keep their names visible to static tools.
"""

from __future__ import annotations

from ._base import FAMILIES, Family, Param
from .bernoulli import Bernoulli
from .beta import Beta
from .categorical import Categorical
from .binomial import Binomial
from .cauchy import Cauchy
from .chi import Chi
from .chi2 import Chi2
from .continuous_bernoulli import ContinuousBernoulli
from .diagonal_normal import DiagonalNormal
from .dirichlet import Dirichlet
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .gumbel import Gumbel
from .halfcauchy import HalfCauchy
from .halfnormal import HalfNormal
from .inversegamma import InverseGamma
from .kumaraswamy import Kumaraswamy
from .laplace import Laplace
from .logistic import Logistic
from .logitnormal import LogitNormal
from .lognormal import LogNormal
from .moyal import Moyal
from .negative_binomial import NegativeBinomial
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .pareto import Pareto
from .poisson import Poisson
from .rayleigh import Rayleigh
from .studentt import StudentT
from .uniform import Uniform
from .vonmises import VonMises
from .weibull import Weibull
from .wishart import Wishart

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
    "HalfNormal",
    "Pareto",
    "Rayleigh",
    "Chi2",
    "InverseGamma",
    "HalfCauchy",
    "Bernoulli",
    "Poisson",
    "Geometric",
    "Binomial",
    "NegativeBinomial",
    "Logistic",
    "LogitNormal",
    "Kumaraswamy",
    "VonMises",
    "ContinuousBernoulli",
    "Chi",
    "Moyal",
    "MultivariateNormal",
    "DiagonalNormal",
    "LowRankMultivariateNormal",
    "Wishart",
    "Dirichlet",
    "Categorical",
    "Multinomial",
]


def _import_family_modules() -> None:
    import importlib
    import os

    # a directory listing, not pkgutil (whose import alone costs a millisecond of every `import anadiv`)
    names = sorted({entry[:-3] for path in __path__ for entry in os.listdir(path) if entry.endswith(".py")})
    for name in names:
        if name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        for value in list(vars(module).values()):
            if (
                isinstance(value, type)
                and issubclass(value, Family)
                and value.name
                and value.__module__ == module.__name__
                and value.__name__ not in __all__
            ):
                globals()[value.__name__] = value
                __all__.append(value.__name__)


_import_family_modules()
