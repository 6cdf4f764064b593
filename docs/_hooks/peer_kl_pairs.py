"""The KL pairs the peer libraries register, for the parity table of the closed-form page.

Data only (class names as each library spells them), read by the docs hook
(:mod:`anadiv_docs`) and by ``tests/test_peer_parity.py``, which checks the
torch list against the installed torch's own registry (so it cannot drift
while CI pins that torch) and anadiv's answer for every pair.
"""

from __future__ import annotations

#: ``torch.distributions.kl._KL_REGISTRY`` of this torch version, as (P, Q) class names.
TORCH_VERSION = "2.13.0"
TORCH_KL_PAIRS: tuple[tuple[str, str], ...] = (
    ('Bernoulli', 'Bernoulli'),
    ('Bernoulli', 'Poisson'),
    ('Beta', 'Beta'),
    ('Beta', 'ContinuousBernoulli'),
    ('Beta', 'Exponential'),
    ('Beta', 'Gamma'),
    ('Beta', 'Normal'),
    ('Beta', 'Pareto'),
    ('Beta', 'Uniform'),
    ('Binomial', 'Binomial'),
    ('Categorical', 'Categorical'),
    ('Cauchy', 'Cauchy'),
    ('ContinuousBernoulli', 'ContinuousBernoulli'),
    ('ContinuousBernoulli', 'Exponential'),
    ('ContinuousBernoulli', 'Normal'),
    ('ContinuousBernoulli', 'Pareto'),
    ('ContinuousBernoulli', 'Uniform'),
    ('Dirichlet', 'Dirichlet'),
    ('Exponential', 'Beta'),
    ('Exponential', 'ContinuousBernoulli'),
    ('Exponential', 'Exponential'),
    ('Exponential', 'Gamma'),
    ('Exponential', 'Gumbel'),
    ('Exponential', 'Normal'),
    ('Exponential', 'Pareto'),
    ('Exponential', 'Uniform'),
    ('ExponentialFamily', 'ExponentialFamily'),
    ('Gamma', 'Beta'),
    ('Gamma', 'ContinuousBernoulli'),
    ('Gamma', 'Exponential'),
    ('Gamma', 'Gamma'),
    ('Gamma', 'Gumbel'),
    ('Gamma', 'Normal'),
    ('Gamma', 'Pareto'),
    ('Gamma', 'Uniform'),
    ('Geometric', 'Geometric'),
    ('Gumbel', 'Beta'),
    ('Gumbel', 'ContinuousBernoulli'),
    ('Gumbel', 'Exponential'),
    ('Gumbel', 'Gamma'),
    ('Gumbel', 'Gumbel'),
    ('Gumbel', 'Normal'),
    ('Gumbel', 'Pareto'),
    ('Gumbel', 'Uniform'),
    ('HalfNormal', 'HalfNormal'),
    ('Independent', 'Independent'),
    ('Laplace', 'Beta'),
    ('Laplace', 'ContinuousBernoulli'),
    ('Laplace', 'Exponential'),
    ('Laplace', 'Gamma'),
    ('Laplace', 'Laplace'),
    ('Laplace', 'Normal'),
    ('Laplace', 'Pareto'),
    ('Laplace', 'Uniform'),
    ('LowRankMultivariateNormal', 'LowRankMultivariateNormal'),
    ('LowRankMultivariateNormal', 'MultivariateNormal'),
    ('MultivariateNormal', 'LowRankMultivariateNormal'),
    ('MultivariateNormal', 'MultivariateNormal'),
    ('Normal', 'Beta'),
    ('Normal', 'ContinuousBernoulli'),
    ('Normal', 'Exponential'),
    ('Normal', 'Gamma'),
    ('Normal', 'Gumbel'),
    ('Normal', 'Laplace'),
    ('Normal', 'Normal'),
    ('Normal', 'Pareto'),
    ('Normal', 'Uniform'),
    ('OneHotCategorical', 'OneHotCategorical'),
    ('Pareto', 'Beta'),
    ('Pareto', 'ContinuousBernoulli'),
    ('Pareto', 'Exponential'),
    ('Pareto', 'Gamma'),
    ('Pareto', 'Normal'),
    ('Pareto', 'Pareto'),
    ('Pareto', 'Uniform'),
    ('Poisson', 'Bernoulli'),
    ('Poisson', 'Binomial'),
    ('Poisson', 'Poisson'),
    ('TransformedDistribution', 'TransformedDistribution'),
    ('Uniform', 'Beta'),
    ('Uniform', 'ContinuousBernoulli'),
    ('Uniform', 'Exponential'),
    ('Uniform', 'Gamma'),
    ('Uniform', 'Gumbel'),
    ('Uniform', 'Normal'),
    ('Uniform', 'Pareto'),
    ('Uniform', 'Uniform'),
)

#: The public pairs TensorFlow Probability registers with ``kullback_leibler.RegisterKL``
#: (tensorflow/probability at commit c847a416, 2026-04-16), as (P, Q) class names; its
#: test doubles and internal wrappers (masked, blockwise, sample, joint, transformed
#: distributions) are left out.
TFP_COMMIT = "c847a4160de33119ec44cf47ebc750d9659cb515"
TFP_KL_PAIRS: tuple[tuple[str, str], ...] = (
    ("Bernoulli", "Bernoulli"),
    ("Beta", "Beta"),
    ("Categorical", "Categorical"),
    ("Cauchy", "Cauchy"),
    ("Chi", "Chi"),
    ("Chi2", "Chi2"),
    ("Chi2", "Gamma"),
    ("Gamma", "Chi2"),
    ("ContinuousBernoulli", "ContinuousBernoulli"),
    ("Dirichlet", "Dirichlet"),
    ("Gamma", "Gamma"),
    ("GaussianProcess", "MultivariateNormalLinearOperator"),
    ("MultivariateNormalLinearOperator", "GaussianProcess"),
    ("Gumbel", "Gumbel"),
    ("HalfNormal", "HalfNormal"),
    ("Independent", "Independent"),
    ("Laplace", "Laplace"),
    ("LogitNormal", "LogitNormal"),
    ("LogNormal", "LogNormal"),
    ("MatrixNormalLinearOperator", "MatrixNormalLinearOperator"),
    ("Moyal", "Moyal"),
    ("MultivariateNormalLinearOperator", "MultivariateNormalLinearOperator"),
    ("Normal", "Normal"),
    ("OneHotCategorical", "OneHotCategorical"),
    ("OrderedLogistic", "OrderedLogistic"),
    ("Pareto", "Pareto"),
    ("PowerSpherical", "SphericalUniform"),
    ("PowerSpherical", "VonMisesFisher"),
    ("ProbitBernoulli", "ProbitBernoulli"),
    ("StoppingRatioLogistic", "StoppingRatioLogistic"),
    ("Uniform", "Uniform"),
    ("VonMises", "VonMises"),
    ("VonMisesFisher", "SphericalUniform"),
    ("Weibull", "Weibull"),
    ("Weibull", "Gamma"),
)

#: TFP class names that are an anadiv family under another name.
TFP_ALIASES: dict[str, str] = {
    "MultivariateNormalLinearOperator": "MultivariateNormal",  # the base of every TFP MVN (Tril, Diag, ...)
}

#: Peer classes that are not one family but a construction anadiv answers otherwise.
CONSTRUCTIONS: dict[str, str] = {
    "Independent": "anadiv.Independent (the sum over event dimensions of the bases' closed forms)",
    "ExponentialFamily": "torch's generic Bregman rule for two instances of one exponential family: "
                         "anadiv derives each exponential family's same-family KL instead",
    "OneHotCategorical": "anadiv.Categorical: the same law, its event written as the category's index "
                         "instead of a one-hot vector (kl(Categorical(p), Categorical(q)))",
    "TransformedDistribution": "torch's rule for two distributions through the same bijector: "
                               "anadiv has no transformed-distribution class",
}

#: What a reader should know about a pair beyond anadiv's status, keyed by the peer's class names.
NOTES: dict[tuple[str, str], str] = {
    ("Bernoulli", "Bernoulli"): "p2 = p1 (1 + 1e-9): torch -5.6e-18, true 2.1e-19 (anadiv's value)",
    ("Normal", "Normal"): "sigma2 = sigma1 (1 + 1e-9), float64: torch 1.0000001492e-18, true 1.0000001638e-18 "
                          "(anadiv's value); float32: torch 0.26 off, anadiv 5e-9",
    ("LowRankMultivariateNormal", "LowRankMultivariateNormal"): "nearly equal P and Q: torch loses digits",
    ("ContinuousBernoulli", "ContinuousBernoulli"): "torch's is negative near probs = 1/2 (-9.4e-15 at 0.499 against "
                                                    "0.499 + 1e-8; pytorch issue 72525) and 6% off at 0.49 against "
                                                    "0.4900001; anadiv's is non-negative and accurate there",
    ("ContinuousBernoulli", "Uniform"): "torch returns inf against Uniform(0, 1), where the KL is -H(P) (anadiv's value)",
}

#: Pairs where torch's value is wrong at typical parameters (not only near P = Q): the parity
#: test checks anadiv's value against quadrature there instead of against torch's.
TORCH_WRONG: dict[tuple[str, str], str] = {
}
