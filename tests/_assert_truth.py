"""One assertion for "this float is the true divergence" (private test helper).

Shared by the whole-range test and the API fuzz test: a value is right when it
is not NaN, a KL is not negative, a true value beyond the float range comes
back as the infinity of its sign, and otherwise the value is finite and within
``rtol`` of the truth, or within an absolute ``floor`` (the reference's own
noise, and never less than the smallest normal float: below it a value has no
relative precision).
"""

from __future__ import annotations

import math
import sys

import mpmath


def mpmath_modules() -> list:
    """lambdify modules for a derived expression as the truth: mpmath, with anadiv's guards.

    mpmath's betainc sums a hypergeometric series that stalls at shapes ~1e3 and beyond
    (NoConvergence), its lgamma/psi take seconds at 1e-300 with 600 digits, and its
    ``ei(x)``/``exp(x)`` at ``x = -1e300`` expand ``e^x`` digit by digit (the API fuzz
    test hung there for an hour): the stand-ins of :data:`anadiv.numeric.refine.MP`
    (tested against mpmath in test_refine) take their place.
    """
    from anadiv.numeric.refine import MP

    fixes = {"betainc_regularized": MP.betainc_reg, "loggamma": MP.loggamma, "polygamma": MP.polygamma,
             "Ei": MP.ei, "exp": MP.exp, "gamma": MP.gamma, "gammainc": MP.gammainc}
    return [fixes, "mpmath"]


def assert_right(kind: str, value: float, ref: mpmath.mpf, *, rtol: float, where: str,
                 fmax: float = sys.float_info.max, floor: float = 0.0) -> None:
    shown = mpmath.nstr(ref, 17)
    assert not math.isnan(value), f"NaN {where} (true {shown})"
    assert not mpmath.isnan(ref), f"reference is NaN {where}"
    if kind in ("kl", "renyi"):
        assert value >= 0, f"negative {kind} {value!r} {where} (true {shown})"
    if mpmath.isinf(ref) or abs(ref) > fmax:
        assert value == (math.inf if ref > 0 else -math.inf), f"{value!r} {where}, true {shown} (beyond float)"
        return
    assert math.isfinite(value), f"{value!r} {where}, true {shown}"
    err = abs(mpmath.mpf(value) - ref)
    assert err <= rtol * abs(ref) or err <= max(floor, sys.float_info.min), (
        f"relative error {float(err / abs(ref)) if ref else math.inf:.2e} > {rtol:.0e} {where}: "
        f"got {value!r}, true {shown}")
