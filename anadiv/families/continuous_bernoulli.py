"""Continuous Bernoulli distribution on [0, 1] (Loaiza-Ganem and Cunningham, 2019)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..constraints import unit_interval
from ._base import Family, Param, ParamValue


def _eta(probs: np.ndarray) -> np.ndarray:
    """The natural parameter ``logit(probs)``: ``2 atanh(2 probs - 1)`` near 1/2 (``2 probs - 1`` is exact there)."""
    p = np.asarray(probs)
    if not np.issubdtype(p.dtype, np.floating):
        p = p.astype(np.float64)  # float32 stays float32
    with np.errstate(divide="ignore"):
        far = np.log(p) - np.log1p(-p)
        near = 2.0 * np.arctanh(2.0 * p - 1.0)
    return np.where(np.abs(p - 0.5) <= 0.25, near, far)


class ContinuousBernoulli(Family):
    r"""Continuous Bernoulli distribution with shape :math:`\lambda` (``probs``).

    torch: ``ContinuousBernoulli(probs)``; scipy has none.

    .. math::

        \log p(x) = \log C(\lambda) + x\log\lambda + (1 - x)\log(1 - \lambda),
        \quad 0 \le x \le 1, \qquad
        C(\lambda) = \frac{2\,\operatorname{atanh}(1 - 2\lambda)}{1 - 2\lambda}
        \quad (C(\tfrac12) = 2)

    Parameters
    ----------
    probs : array_like or sympy expression
        Shape :math:`0 < \lambda < 1`.

    Notes
    -----
    An exponential family in :math:`\eta = \operatorname{logit}\lambda` with
    sufficient statistic :math:`x`, base measure 1 on [0, 1] and
    log-normalizer :math:`A(\eta) = \log\frac{e^\eta - 1}{\eta}`, so
    :math:`\log p = \eta x - A(\eta)`, :math:`E[X] = A'(\eta)
    = \frac{\lambda}{2\lambda - 1} + \frac{1}{2\operatorname{atanh}(1 - 2\lambda)}`,
    :math:`\mathrm{Var}X = A''(\eta)` and :math:`E[e^{tX}] = e^{A(\eta + t) - A(\eta)}`.
    :math:`A`, :math:`A'` and :math:`A''` are 0/0 at :math:`\lambda = 1/2`; the
    engine writes every closed form with them as functions
    (``cb_log_normalizer``, ``cb_mean``, ``cb_variance`` of
    :mod:`anadiv.numeric.stable`, Bernoulli-number series near 0), so the
    generated code, the log-density and ``mean_variance`` keep full precision
    there, where torch's formulas lose digits (and its KL between two
    continuous Bernoullis can come out negative, pytorch issue 72525).
    KL and cross-entropy against a Beta, a Gamma or a Laplace need
    :math:`E\log X` or :math:`E|X - c|`, which the engine does not derive
    (:class:`~anadiv.errors.NoClosedFormError`).

    Examples
    --------
    >>> from anadiv import ContinuousBernoulli, kl
    >>> float(ContinuousBernoulli(0.5).logpdf(0.3))  # the uniform density
    0.0
    >>> d = ContinuousBernoulli(0.5 + 1e-9)
    >>> float(d.mean_variance()[0])  # doctest: +ELLIPSIS
    0.500000000333333...
    >>> kl(ContinuousBernoulli(0.3), ContinuousBernoulli(0.3 + 1e-6)) > 0
    True
    """

    name = "continuous_bernoulli"
    scipy_name = None
    parameters = (Param("probs", unit_interval, (0.05, 0.95), "shape lambda in (0, 1)",
              reparametrizations=(("logits", "torch's log-odds: pass probs=scipy.special.expit(logits)"),)),)

    def __init__(self, probs: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(probs, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
        inside = (x >= 0) & (x <= 1)
        xs = np.where(inside, x, 0.5)
        eta = _eta(probs)
        # eta x - A(eta): exact at probs = 1/2 (the uniform), no 0/0
        from ..numeric import stable  # here: its scipy.special import is 10 ms of `import anadiv`

        return np.where(inside, eta * xs - stable.cb_log_normalizer(eta), -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], probs: np.ndarray) -> np.ndarray:
        return ContinuousBernoulli._np_quantile(rng.random(size), probs)

    @staticmethod
    def _np_support(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.shape(probs)
        return np.zeros(s), np.ones(s)

    @staticmethod
    def _np_breakpoints(probs: np.ndarray) -> tuple[np.ndarray, ...]:
        # the density is monotone: its mode is the end at 1 (probs > 1/2) or 0
        return (np.where(np.asarray(probs) > 0.5, 1.0, 0.0),)

    # ------------------------------------------------------------------ hooks
    torch_name = "ContinuousBernoulli"
    _scipy_frozen = None
    exponential_family = True
    expectation_routes = {"pow": "natural_linear", "exp": "natural_linear"}

    @staticmethod
    def _np_quantile(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
        # F(x) = expm1(eta x)/expm1(eta), so x = log1p(u expm1(eta))/eta; u itself at eta = 0
        eta = _eta(probs)
        u = np.asarray(u, dtype=eta.dtype)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            pos = np.log1p(u * np.expm1(eta)) / eta
            # where expm1(eta) overflows, factor e^eta out: x = 1 + log(u + (1 - u) e^-eta)/eta
            big = 1.0 + np.log(u - u * np.exp(-eta) + np.exp(-eta)) / eta
        out = np.where(eta > 700.0, big, pos)
        return np.where(eta == 0, u, out)

    @staticmethod
    def _np_mean_var(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        eta = _eta(probs)
        from ..numeric import stable

        return stable.cb_mean(eta), stable.cb_variance(eta)

    @staticmethod
    def _torch_params(probs: Any) -> dict[str, Any]:
        return {"probs": probs}

    @classmethod
    def sym_logpdf(cls, x: Any, probs: Any) -> Any:
        (eta,) = cls.sym_natural_params(probs)
        return eta * x - cls.sym_log_normalizer(eta)

    @classmethod
    def sym_support(cls, probs: Any) -> Any:
        import sympy

        return sympy.Interval(0, 1)

    # exponential family: eta = logit(probs), T(x) = x, A(eta) = log((e^eta - 1)/eta), h = 1 on [0, 1]
    @classmethod
    def sym_natural_params(cls, probs: Any) -> tuple[Any, ...]:
        import sympy

        return (sympy.log(probs) - sympy.log(1 - probs),)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        return (x,)

    @classmethod
    def sym_log_normalizer(cls, eta: Any) -> Any:
        return _functions()[0](eta)

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        return 0


@functools.lru_cache(maxsize=None)
def _functions() -> tuple[type, type, type]:
    r"""sympy functions :math:`A(\eta) = \log((e^\eta - 1)/\eta)`, :math:`A'` and :math:`A''`.

    Opaque to sympy (so no 0/0 is ever formed at :math:`\eta = 0`), differentiated
    into each other, printed as ``xp._stable.<name>`` for the generated code (``xp_stable_name``) and as
    an mpmath expression (its limit at 0) for the exact forms; ``_imp_`` and
    ``_eval_evalf`` evaluate them with mpmath with the digits the cancellation
    near 0 takes.
    """
    import mpmath
    import sympy

    def guarded(fn: Any, at_zero: Any) -> Any:
        def value(e: Any) -> Any:
            # mpmath numbers in, mpmath numbers out; a float in (numpy's lambdify), a float out
            as_float = not isinstance(e, (mpmath.mpf, mpmath.mpc))
            e = mpmath.mpf(e)
            if e == 0:
                out = mpmath.mpf(at_zero)
            else:
                extra = 20 + 2 * max(0, -int(mpmath.floor(mpmath.log10(abs(e)))))
                with mpmath.workdps(mpmath.mp.dps + extra):
                    out = fn(e)
            return float(out) if as_float else +out

        return value

    forms = {
        "cb_log_normalizer": (lambda e: mpmath.log(mpmath.expm1(e) / e), 0,
                              "mpmath.log(mpmath.expm1({e})/({e}))", "0"),
        "cb_mean": (lambda e: -1 / mpmath.expm1(-e) - 1 / e, mpmath.mpf(1) / 2,
                    "(-1/mpmath.expm1(-({e})) - 1/({e}))", "mpmath.mpf(1)/2"),
        "cb_variance": (lambda e: 1 / e**2 - 1 / (4 * mpmath.sinh(e / 2) ** 2), mpmath.mpf(1) / 12,
                        "(1/({e})**2 - 1/(4*mpmath.sinh(({e})/2)**2))", "mpmath.mpf(1)/12"),
    }
    classes: dict[str, type] = {}

    def make(name: str, nxt: str | None) -> type:
        fn, at_zero, mp_src, zero_src = forms[name]
        value = guarded(fn, at_zero)

        def fdiff(self: Any, argindex: int = 1) -> Any:
            if nxt is not None:
                return classes[nxt](self.args[0])
            e = self.args[0]
            return -2 / e**3 + sympy.cosh(e / 2) / (4 * sympy.sinh(e / 2) ** 3)

        def _eval_evalf(self: Any, prec: int) -> Any:
            arg = self.args[0].evalf(prec + 20)
            if not arg.is_number:
                return None
            with mpmath.workprec(prec + 20):
                out = value(mpmath.mpf(sympy.Float(arg, prec + 20)._mpf_))
            return sympy.Float(out, precision=prec)

        def _mpmathcode(self: Any, printer: Any) -> str:
            # names through the printer: "mpmath.log" in anadiv's exact forms, "log" under lambdify
            e = printer._print(self.args[0])
            src, zero = mp_src.format(e=e), zero_src
            for fn in ("log", "expm1", "sinh", "mpf"):
                src = src.replace(f"mpmath.{fn}(", printer._module_format(f"mpmath.{fn}") + "(")
                zero = zero.replace(f"mpmath.{fn}(", printer._module_format(f"mpmath.{fn}") + "(")
            return f"({src} if ({e}) != 0 else {zero})"

        def _eval_is_real(self: Any) -> Any:
            return self.args[0].is_real

        cls = type(name, (sympy.Function,), {
            "nargs": 1, "fdiff": fdiff, "_eval_evalf": _eval_evalf, "xp_stable_name": name,
            "_mpmathcode": _mpmathcode, "_eval_is_real": _eval_is_real, "_imp_": staticmethod(value),
            "__module__": __name__,
        })
        classes[name] = cls
        return cls

    a = make("cb_log_normalizer", "cb_mean")
    m = make("cb_mean", "cb_variance")
    v = make("cb_variance", None)
    return a, m, v
