"""What every non-numpy backend shares: the stable and matrix helpers written once.

Generated closed forms compute with ``xp = anadiv.numeric.xp(*args)``
and call only ``xp.<name>``, ``xp._stable.<name>``, ``xp._linalg.<name>`` and
``xp._refine.checked``. The backends in this package (:mod:`.torch`,
:mod:`.jax`, :mod:`.dask`) provide those for other array libraries; this
module holds what they share.

Stable helpers (:mod:`anadiv.numeric.stable`). The elementary ones
(``expm1mx``, ``log1pmx``, ``log_ratio``, ``xm1mlog``, ``powm1mlog``) are
written here once for any namespace (:class:`GenericStable`) with the same
branches and series as the numpy versions, so torch and JAX run them natively
(on GPU, differentiably); on torch, where a gradient is needed, each runs as
one autograd node whose backward is its closed-form partials
(:meth:`GenericStable._analytic`, the ``_d_*`` functions below), not the
dozens of operations of its branches. The gamma-function ones (``lgamma_diff``,
``digamma_diff``, ``lgamma_bregman``, ``gamma_bregman``, ``beta_bregman``, ...)
are written once too, in :mod:`.generic_gamma` (a mixin of
:class:`GenericStable`): no host round-trip, and they work under
``torch.func``, ``torch.compile``, ``jax.jit`` and ``jax.vmap``. The Gamma and
Beta KL helpers take their derivatives analytically, from ``digamma``/``polygamma``
of the library itself (the ``_d_*`` functions below). What remains on the host
is what the libraries lack: scipy's ``expi``/``exp1`` (torch), ``lambertw``,
``betainc`` and ``gammainc`` (torch), each with an analytic derivative.

Matrix helpers (:mod:`anadiv.numeric.linalg`) are written once over a few
primitives (Cholesky, triangular solve, diagonal, lower triangle):
:class:`GenericLinalg`, which differentiates through the library's own
linear algebra.
"""

from __future__ import annotations

import contextlib
import functools
import math
from typing import Any, Callable

import numpy as np

from .generic_gamma import GammaStable

__all__ = ["Constants", "GenericStable", "GenericLinalg"]


# ===================================================================== shared
class Constants:
    """The constants every namespace has (as Python floats, so they never promote a float32 array)."""

    inf = math.inf
    nan = math.nan
    pi = math.pi
    e = math.e
    euler_gamma = float(np.euler_gamma)


def _Quiet(**kwargs: Any) -> contextlib.nullcontext[None]:  # noqa: N802 - stands in for a class
    """``errstate`` stand-in for libraries that never warn on inf/NaN.

    A ``nullcontext``: ``torch.compile`` knows it, so the result check's graph
    break inside ``with xp.errstate(...)`` resumes in a compiled graph instead
    of running the whole generated function eagerly.
    """
    return contextlib.nullcontext()


# Series coefficients, the same as anadiv.numeric.stable's.
_EXPM1MX_COEFS = [1.0 / math.factorial(k + 2) for k in range(19)]
_ATANH_COEFS = [1.0 / (2 * k + 3) for k in range(20)]
_ATANMX_COEFS = [(-1.0) ** k / (2 * k + 1) for k in range(1, 18)]
_I0M1_COEFS = [1.0 / math.factorial(j) ** 2 for j in range(1, 15)]
# log1pmx's series where it is used (float64 |t| <= 1/4, float32 -1/2 <= t <= 1): z^2 <= 1/9,
# and 13 terms reach 1e-19 of the sum at |t| <= 1/4 (1e-13 at the float32 edge, far below its ulp)
_ATANH_13 = _ATANH_COEFS[:13]
# powm1mlog for k = +-1, +-2, as numpy's: t = (a/b)**k - 1 and f = t - log1p(t) (one transcendental),
# the short atanh series where f < 0.0012 (-0.048 < t < 0.0498, six terms reach 1e-19) and, in
# float32, where f < 0.08 (-0.345 < t < 0.48: the direct form there would lose up to 80 ulps of
# float32; six terms still reach 1e-16); t - k log(a/b) from the ratio where t < -0.99 (1 + t
# has lost digits). In float32 the ratio takes over at t < -1/2, where the rounding of t,
# amplified by 1/(1 + t) in log1p, passes that of log(a/b) (numpy keeps -0.99 there too).
_ATANH_6 = _ATANH_COEFS[:6]
_SMALL_K = (1.0, 2.0, -1.0, -2.0)
_F_NEAR = {8: 0.0012, 4: 0.08}
_T_FAR = {8: -0.99, 4: -0.5}
# Computed in float64 and rounded to float32 (GenericStable._widened), the direct forms
# t - log1p(t) and log1p(t) - t are within 2.2e-16/|t| (log1p's last-bit error over t^2/2)
# plus a few ulps of float64: under 1e-11 relative where |t| >= 2.5e-5, far below float32's
# rounding. So the series is needed only there (f < 3e-10): a few elements at most.
# Where t is (a - b)/b (or (a/b)**k - 1, k = +-1, +-2) of float32 values, t is 0 or at
# least 2**-25 in size, where the direct form is within 7.4e-9 relative (1/8 ulp of
# float32): no series at all, and no subset to find.
_T_NEAR_ROUNDED = 2.5e-5
# the compressed subset pays while it holds at most this share of the elements
_SUBSET_SHARE = 0.25


def _cb_coefs() -> tuple[list[float], list[float], list[float]]:
    from .. import stable

    return list(stable._CB_MEAN_COEFS), list(stable._CB_VAR_COEFS), list(stable._CB_LOGNORM_COEFS)


def _horner(x: Any, coefs: list[float]) -> Any:
    # the first step as c[-1] x + c[-2] (no array of the constant: one kernel less)
    if len(coefs) == 1:
        return x * 0.0 + coefs[0]
    acc = x * coefs[-1] + coefs[-2]
    for c in coefs[-3::-1]:
        acc = acc * x + c
    return acc


def _at_least(xp: Any, x: Any, low: float) -> Any:
    """``x`` clamped below at ``low`` by ``where``: at ``x == low`` the derivative stays 1
    (``maximum`` splits it between its arguments at a tie, halving the branch's gradient)."""
    return xp.where(x < low, low, x)


def _is_single(x: Any) -> bool:
    """Whether ``x`` holds float32 (or narrower) values: the branches' thresholds follow the precision."""
    dtype = getattr(x, "dtype", None)
    return dtype is not None and getattr(dtype, "itemsize", 8) <= 4


def _minus_log1pmx_series(t: Any, coefs: list[float]) -> Any:
    """``t - log1p(t)`` by the atanh series: ``z (t - 2 z^2 sum c_k z^(2k))``, ``z = t / (2 + t)``."""
    z = t / (2.0 + t)
    z2 = z * z
    return z * (t - z2 * _horner(z2, [2.0 * c for c in coefs]))


class _TorchSubsets:
    """Eager torch: a branch needed on few elements runs on those elements only.

    ``torch.nonzero`` gives the indices (one synchronisation, whose size is
    data-dependent), so this is for eager tensors only: under
    ``torch.compile``, ``torch.jit`` tracing and ``torch.func`` transforms
    (vmap, grad) the branch runs everywhere through ``where`` instead.
    """

    def __init__(self, torch: Any) -> None:
        self.torch = torch
        functorch = getattr(torch._C, "_functorch", None)
        self._wrapped = getattr(functorch, "is_functorch_wrapped_tensor", lambda x: False)
        self._transforms = getattr(torch._C, "_are_functorch_transforms_active", lambda: False)

    def eager(self, *tensors: Any) -> bool:
        """Whether the tensors are plain eager ones (not traced, compiled or under a ``torch.func`` transform)."""
        torch = self.torch
        return not (torch.compiler.is_compiling() or torch.jit.is_tracing() or self._transforms()
                    or any(self._wrapped(t) for t in tensors))

    def coords(self, mask: Any) -> Any:
        """The coordinates where ``mask`` holds, or None where the where-form is the better (or only) choice."""
        torch = self.torch
        if not isinstance(mask, torch.Tensor) or mask.ndim == 0 or not self.eager(mask):
            return None
        # the count first (one cheap reduction; torch's any() on the CPU costs 3x more): an empty
        # mask (a narrow band) or a wide one is decided without nonzero's two passes
        count = int(torch.count_nonzero(mask))
        if count == 0:
            return (mask.new_zeros(0, dtype=torch.long),) * mask.ndim
        if count > _SUBSET_SHARE * mask.numel():
            return None
        return torch.nonzero(mask, as_tuple=True)

    def scatter(self, out: Any, coords: Any, values: Any) -> Any:
        if out.requires_grad or values.requires_grad:
            return out.index_put(coords, values)  # out of place: autograd sees a fresh tensor
        out[coords] = values.to(out.dtype)
        return out


class GenericStable(GammaStable):
    """The elementary stable helpers, written once for torch and JAX.

    The gamma-function helpers come from :class:`.generic_gamma.GammaStable`.

    Same branches and series as :mod:`anadiv.numeric.stable`, and as few
    full-size operations as that allows (on a GPU each is a kernel launch and a
    pass over memory): the common formula runs everywhere, the accurate branch
    only where it is needed (:meth:`_patch`). Eager torch tensors run that
    branch on the compressed subset of elements; under ``torch.compile``,
    ``torch.func`` and JAX (where shapes must not depend on values) it runs on
    every element through ``where``, each branch given a *safe* input where it
    is not selected, so the unused branch can neither overflow nor poison a
    gradient with NaN.
    """

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self._subsets = _TorchSubsets(xp.torch) if getattr(xp, "name", None) == "torch" else None
        # XLA's float64 log1p on the CPU is off by up to 3e-14 (t - log1p(t) multiplies that by up
        # to 40); torch's is within an ulp
        self._log1p = xp.log1p if self._subsets is not None else self._log1p_from_log
        # ``fl(1 + t)`` kept as rounded (a compiler may otherwise fold ``(1 + t) - 1`` to ``t``)
        self._as_rounded = getattr(xp, "as_rounded", lambda value: value)

    def _log1p_from_log(self, t: Any) -> Any:
        """``log1p(t) = log(u) t / (u - 1)``, ``u = fl(1 + t)`` (the rounding of ``1 + t`` cancels
        in the ratio; Goldberg's identity): as accurate as ``log``, within 4e-16 in float64."""
        xp = self.xp
        u = self._as_rounded(1.0 + t)
        d = u - 1.0
        tiny = d == 0.0
        return xp.where(tiny, t, xp.log(u) * (t / xp.where(tiny, 1.0, d)))

    def _patch(self, out: Any, mask: Any, fn: Callable[..., Any], *pairs: tuple[Any, float]) -> Any:
        """``out`` with ``fn(*args)`` where ``mask`` holds; ``pairs`` are ``(arg, safe value)``.

        ``out`` is a fresh array of the broadcast shape. Eager torch: ``fn`` sees
        the arguments at the selected elements only (when those are few);
        elsewhere it sees every element, the safe value where ``mask`` is false.
        """
        xp = self.xp
        subsets = self._subsets
        coords = None
        if subsets is not None and mask.shape == out.shape and all(a.ndim <= out.ndim for a, _ in pairs):
            coords = subsets.coords(mask)
        if subsets is not None and coords is not None:
            if coords[0].numel() == 0:
                return out
            # a broadcast argument is read through a view: only the selected elements are gathered
            args = [a.expand(out.shape)[coords] if a.ndim else a for a, _ in pairs]
            return subsets.scatter(out, coords, fn(*args))
        return xp.where(mask, fn(*(xp.where(mask, a, s) for a, s in pairs)), out)

    def _safe_needed(self, x: Any) -> bool:
        """Whether a branch evaluated beyond its range may meet a derivative (then it gets a clamped input)."""
        if self._subsets is None:
            return True  # JAX: any array may be traced for a gradient
        torch = self._subsets.torch
        return bool(torch.is_grad_enabled() and (x.requires_grad or self._subsets._transforms()))

    def _widened(self, fn: Callable[..., Any], *args: Any, rounded: Callable[..., Any] | None = None,
                 gap: bool = False) -> Any:
        """``fn(*args)``; torch float32 (or narrower) in float64, rounded once at the end.

        The float32 bands of the series are wide (the direct forms lose up to 80
        ulps of float32 near them), so most elements would take the series; in
        float64 the result is the float64 value rounded to float32, and there
        ``rounded(near, *args)`` (when given; ``fn`` otherwise) runs instead: the
        same computation with the series band ``|t| < near`` that a float32 result
        needs, narrower still than float64's (:data:`_T_NEAR_ROUNDED`); ``near`` is 0
        (no series) where ``gap`` says the series variable is a relative difference
        of the arguments and all of them hold float32 values. JAX keeps its float32
        (without x64 it has no float64; under ``jit`` the series costs no extra pass).
        """
        xp = self.xp
        args = tuple(xp.asarray(a) for a in args)
        if self._subsets is not None:
            torch = self._subsets.torch
            # torch's rule: 0-d tensors (Python numbers) do not promote a batch's dtype
            batch = [a for a in args if a.ndim] or list(args)
            dtype = functools.reduce(torch.promote_types, [a.dtype for a in batch])
            if dtype.is_floating_point and dtype.itemsize <= 4 and batch[0].device.type != "mps":
                wide = tuple(a.to(torch.float64) for a in args)
                if rounded is None:
                    return fn(*wide).to(dtype)
                near = 0.0 if gap and self._single_values(args, dtype) else _T_NEAR_ROUNDED
                return rounded(near, *wide).to(dtype)
        return fn(*args)

    def _single_values(self, args: tuple[Any, ...], dtype: Any) -> bool:
        """Whether every argument holds ``dtype`` values: tensors of that precision, and 0-d
        float64 ones (Python numbers) on the host that it represents exactly. Traced (compile,
        jit tracing, functorch transforms) the values are unknown: no."""
        subsets = self._subsets
        if subsets is None or not subsets.eager(*args):
            return all(a.dtype.itemsize <= dtype.itemsize for a in args)
        return all(a.dtype.itemsize <= dtype.itemsize
                   or (a.ndim == 0 and a.device.type == "cpu" and bool(a.to(dtype) == a)) for a in args)

    def _log1pmx_near(self, t: Any, near: float | None = None) -> Any:
        # numpy's range of the series in float64; in float32 the direct form would lose up to
        # 16 ulps at |t| = 1/4, so the series (exact to float32 there) covers [-1/2, 1]; a float64
        # value to be rounded to float32 needs it only at |t| < near (see _widened)
        if near is not None:
            return self.xp.abs(t) < near
        if _is_single(t):
            return (t >= -0.5) & (t <= 1.0)
        return self.xp.abs(t) <= 0.25

    def _partials(self, name: str) -> Callable[..., tuple[Any, ...]]:
        return _HELPER_GRADS[name]

    # -------------------------------------------------- analytic derivatives
    def _grad_needed(self, *args: Any) -> bool:
        """Whether a derivative of a helper's result may be taken (a backend hook).

        False here: JAX differentiates through the where-form (under ``jit``
        it costs no extra pass). The torch backend says True when autograd
        records and an argument requires grad; then the elementary helpers
        run as one node whose backward is their analytic partials
        (:meth:`_analytic`) instead of dozens of recorded operations.
        """
        return False

    def _analytic(self, name: str, fn: Callable[..., Any], *args: Any,
                  partials: Callable[..., tuple[Any, ...]] | None = None) -> Any:
        """``fn(*args)``; where a gradient is needed, with the derivative ``partials(xp, *args)``.

        ``partials`` (by default the helper's entry of :meth:`_partials`, the
        ``_d_*`` functions below) are the closed-form partial derivatives, which
        keep their relative accuracy where the helper's argument cancels (``a``
        near ``b``); the forward stays the native computation, run without a graph.
        """
        if self._grad_needed(*args):
            return self._with_partials(name, fn, partials or self._partials(name), *self._floats(*args))
        return fn(*args)

    def expm1mx(self, u: Any) -> Any:
        return self._analytic("expm1mx", self._expm1mx_wide, u)

    def _expm1mx_wide(self, u: Any) -> Any:
        return self._widened(self._expm1mx, u)

    def _expm1mx(self, u: Any) -> Any:
        # numpy's branches: expm1(u) - u, the power series where |u| < 1
        xp = self.xp
        out = xp.expm1(u) - u
        return self._patch(out, xp.abs(u) < 1.0, lambda us: us * us * _horner(us, _EXPM1MX_COEFS), (u, 0.0))

    def log1pmx(self, t: Any) -> Any:
        return self._analytic("log1pmx", self._log1pmx_wide, t)

    def _log1pmx_wide(self, t: Any) -> Any:
        return self._widened(self._log1pmx, t, rounded=lambda near, t: self._log1pmx(t, near))

    def _log1pmx(self, t: Any, near: float | None = None) -> Any:
        # numpy's branches: log1p(t) - t, the atanh series near 0 (see _log1pmx_near)
        out = self._log1p(t) - t
        return self._patch(out, self._log1pmx_near(t, near), lambda ts: -_minus_log1pmx_series(ts, _ATANH_13), (t, 0.0))

    def atanmx(self, x: Any) -> Any:
        return self._analytic("atanmx", self._atanmx, x)

    def _atanmx(self, x: Any) -> Any:
        # numpy's branches: the odd series for |x| < 0.3, arctan(x) - x beyond.
        xp = self.xp
        x = xp.asarray(x)
        small = xp.abs(x) < 0.3
        xs = xp.where(small, x, 0.0)
        series = xs * xs * xs * _horner(xs * xs, _ATANMX_COEFS)
        xl = xp.where(small, 1.0, x)
        return xp.where(small, series, xp.arctan(xl) - xl)

    def cos_half_pi(self, x: Any) -> Any:
        # numpy's branches: sin(pi (1 - |x|)/2) for 1/2 <= |x| <= 2 (1 - |x| exact there), cos(pi x/2) elsewhere
        xp = self.xp
        x = xp.asarray(x)
        ax = xp.abs(x)
        near = (ax >= 0.5) & (ax <= 2.0)
        return xp.where(near, xp.sin((0.5 * math.pi) * (1.0 - xp.where(near, ax, 1.0))), xp.cos((0.5 * math.pi) * x))

    def _log_ratio_d(self, a: Any, b: Any, d: Any) -> Any:
        # numpy's branches: log1p(d), log(a / b) where d < -1/2 (1 + d has lost digits there)
        xp = self.xp
        a, b, d = xp.asarray(a), xp.asarray(b), xp.asarray(d)
        far = d < -0.5
        out = self._log1p(_at_least(xp, d, -0.5) if self._safe_needed(d) else d)
        return self._patch(out, far, lambda aa, bb: xp.log(aa / bb), (a, 1.0), (b, 1.0))

    def log_ratio(self, a: Any, b: Any) -> Any:
        return self._analytic("log_ratio", self._log_ratio, a, b)

    def _log_ratio(self, a: Any, b: Any) -> Any:
        xp = self.xp
        a, b = xp.asarray(a), xp.asarray(b)
        return self._log_ratio_d(a, b, (a - b) / b)

    def log_ratio_d(self, a: Any, b: Any, d: Any) -> Any:
        return self._analytic("log_ratio_d", self._log_ratio_d_plain, a, b, d)

    def _log_ratio_d_plain(self, a: Any, b: Any, d: Any) -> Any:
        return self._log_ratio_d(a, b, d / b)

    def log_diff(self, a: Any, b: Any) -> Any:
        xp = self.xp
        s = a - b
        back = s - a
        e = (a - (s - back)) + (-b - back)
        return xp.log(s) + xp.where(xp.isfinite(e) & (s > 0), e / s, 0.0)

    def mix(self, a: Any, x: Any, y: Any) -> Any:
        xp = self.xp
        d = x - y
        return xp.where(xp.abs(d) <= 0.5 * xp.abs(y), y + a * d, a * x + (1 - a) * y)

    def xm1(self, x: Any) -> Any:
        return x - 1

    def _mix_base(self, a: Any, x: Any, y: Any, d: Any) -> tuple[Any, ...]:
        xp = self.xp
        high = a >= 0.5
        return xp.where(high, x, y), xp.where(high, y, x), xp.where(high, 1 - a, a), xp.where(high, -d, d)

    def log_mix_gap(self, a: Any, x: Any, y: Any, d: Any) -> Any:
        xp = self.xp
        b, o, w, s = self._mix_base(a, x, y, d)
        t = s / b
        near = xp.abs(t) <= 0.5
        tn = xp.where(near, t, 0.0)
        series = self.log1pmx(w * tn) - w * self.log1pmx(tn)
        direct = xp.log1p(w * t) - w * (xp.log(o) - xp.log(b))
        return xp.where(self._consistent(x, y, d), xp.where(near, series, direct), xp.nan)

    def _consistent(self, x: Any, y: Any, d: Any) -> Any:
        xp = self.xp
        ok = (x > 0) & (y > 0) & xp.isfinite(x) & xp.isfinite(y) & xp.isfinite(d)
        return ok & (xp.abs(d - (x - y)) <= 1e-12 * xp.maximum(xp.abs(x), xp.abs(y)))

    def lgamma_mix_gap(self, a: Any, x: Any, y: Any, d: Any) -> Any:
        xp = self.xp
        b, o, w, s = self._mix_base(a, x, y, d)
        near = xp.abs(s) <= 0.5 * b
        sn = xp.where(near, s, 0.0)
        bregman = self.lgamma_bregman_d(b, w * sn) - w * self.lgamma_bregman_d(b, sn)
        direct = self.lgamma_diff_d(b, w * s) - w * (xp.gammaln(o) - xp.gammaln(b))
        return xp.where(self._consistent(x, y, d), xp.where(near, bregman, direct), xp.nan)

    def diff2(self, a2: Any, a1: Any, b2: Any, b1: Any) -> Any:
        return self.xp.asarray((a2 - a1) - (b2 - b1))

    def _minus_log1pmx_far(self, t: Any, a: Any, b: Any, near: float | None = None) -> Any:
        """``t - log1p(t)`` with ``t = a/b - 1`` (numpy's ``xm1mlog``): the atanh series near 0,
        ``r - 1 - log r`` from the ratio ``r = a/b`` where ``t < -1/2``."""
        xp = self.xp
        tl = _at_least(xp, t, -0.5) if self._safe_needed(t) else t
        out = tl - self._log1p(tl)

        def ratio_form(aa: Any, bb: Any) -> Any:
            r = aa / bb
            return r - 1.0 - xp.log(r)

        # two patches, so the common one (the series) gathers t alone; the ratio's is rare
        if near != 0.0:
            out = self._patch(out, self._log1pmx_near(t, near), lambda ts: _minus_log1pmx_series(ts, _ATANH_13),
                              (t, 0.0))
        return self._patch(out, t < -0.5, ratio_form, (a, 1.0), (b, 1.0))

    def xm1mlog(self, a: Any, b: Any) -> Any:
        return self._analytic("xm1mlog", self._xm1mlog, a, b)

    def _xm1mlog(self, a: Any, b: Any) -> Any:
        return self._widened(lambda a, b: self._minus_log1pmx_far((a - b) / b, a, b), a, b,
                             rounded=lambda near, a, b: self._minus_log1pmx_far((a - b) / b, a, b, near), gap=True)

    def xm1mlog_d(self, a: Any, b: Any, d: Any) -> Any:
        return self._analytic("xm1mlog_d", self._xm1mlog_d, a, b, d)

    def _xm1mlog_d(self, a: Any, b: Any, d: Any) -> Any:
        return self._widened(lambda a, b, d: self._minus_log1pmx_far(d / b, a, b), a, b, d,
                             rounded=lambda near, a, b, d: self._minus_log1pmx_far(d / b, a, b, near))

    def powm1mlog(self, a: Any, b: Any, k: Any) -> Any:
        if isinstance(k, (int, float)) and float(k) in _SMALL_K:
            kf = float(k)
            return self._analytic("powm1mlog", functools.partial(self._powm1mlog_small_wide, k=kf), a, b,
                                  partials=functools.partial(self._partials("powm1mlog"), k=kf))
        return self._analytic("powm1mlog", self._powm1mlog_any_k, a, b, k)

    def _powm1mlog_small_wide(self, a: Any, b: Any, k: float) -> Any:
        return self._widened(lambda a, b: self._powm1mlog_small_k(a, b, k), a, b,
                             rounded=lambda near, a, b: self._powm1mlog_small_k(a, b, k, near), gap=True)

    def _powm1mlog_any_k(self, a: Any, b: Any, k: Any) -> Any:
        # numpy's branches: u = k log(a/b); expm1(u) - u by default, r**k - 1 - u for
        # |u| > 20, and for |log r| < 0.05 the log from log1p((a - b)/b), with a short
        # series for |u| < 0.05.
        xp = self.xp
        r = a / b
        lr = xp.log(r)
        u = k * lr
        big = xp.abs(u) > 20.0
        near = xp.abs(lr) < 0.05
        u_def = xp.where(big, 0.0, u)
        default = xp.expm1(u_def) - u_def
        far_value = xp.where(big, r, 1.0) ** k - 1.0 - xp.where(big, u, 0.0)
        un = xp.where(near, k * self._log1p(xp.where(near, (a - b) / b, 0.0)), 0.0)
        small = xp.abs(un) < 0.05
        us = xp.where(small, un, 0.0)
        series = us * us * _horner(us, _EXPM1MX_COEFS[:10])
        ul = xp.where(small, 0.0, un)
        near_value = xp.where(small, series, xp.expm1(ul) - ul)
        return xp.where(near, near_value, xp.where(big, far_value, default))

    def _powm1mlog_small_k(self, a: Any, b: Any, k: float, near: float | None = None) -> Any:
        """numpy's ``_powm1mlog_small_k``: ``t = (a/b)**k - 1`` from the exact difference
        (``d`` or ``d (d + 2)``, ``d = (a - b)/b``), ``f = t - log1p(t)``; the short series
        where ``f`` is small (for a float64 value to be rounded to float32, ``|t| < near``:
        see :meth:`_widened`), ``t - k log(a/b)`` where ``t < -0.99``."""
        xp = self.xp
        if k < 0:  # (a/b)**-k == (b/a)**k
            a, b, k = b, a, -k
        t = (a - b) / b
        if k == 2.0:
            t = t * (t + 2.0)
        width = 4 if _is_single(t) else 8
        # f = t - log1p(t) < t^2/2: f < near^2/2 covers |t| < near
        f_near, t_far = (_F_NEAR[width] if near is None else 0.5 * near * near), _T_FAR[width]
        tl = _at_least(xp, t, t_far) if self._safe_needed(t) else t
        f = tl - self._log1p(tl)

        # two patches, so the common one (the series) gathers t alone; the ratio's is rare
        if f_near > 0.0:
            f = self._patch(f, f < f_near, lambda ts: _minus_log1pmx_series(ts, _ATANH_6), (t, 0.0))
        return self._patch(f, t < t_far, lambda ts, aa, bb: ts - k * xp.log(aa / bb), (t, 0.0), (a, 1.0), (b, 1.0))

    def lowergamma_reg(self, s: Any, x: Any) -> Any:
        return self.xp.gammainc(s, x)

    def betainc_reg(self, a: Any, b: Any, x: Any) -> Any:
        return self.xp.betainc(a, b, x)

    def log_i0(self, k: Any) -> Any:
        # numpy's branches: the series of I0 - 1 through log1p for k < 2, log(i0e(k)) + k beyond
        xp = self.xp
        k = xp.asarray(k)
        small = xp.abs(k) < 2.0
        ks = xp.where(small, k, 0.0)
        t = 0.25 * ks * ks
        series = xp.log1p(t * _horner(t, _I0M1_COEFS))
        kl = xp.where(small, 2.0, k)
        return xp.where(small, series, xp.log(xp.i0e(kl)) + kl)

    def i1_i0(self, k: Any) -> Any:
        xp = self.xp
        return xp.i1e(k) / xp.i0e(k)

    def cb_log_normalizer(self, e: Any) -> Any:
        # numpy's branches: the Bernoulli series for |e| < 2, the exponential factored out beyond
        xp = self.xp
        e = xp.asarray(e)
        small = xp.abs(e) < 2.0
        es = xp.where(small, e, 0.0)
        near = 0.5 * es + es * es * _horner(es * es, _cb_coefs()[2])
        ep = xp.where(e > 0.0, e, 1.0)
        en = xp.where(e < 0.0, e, -1.0)
        far = xp.where(e > 0, ep + xp.log(-xp.expm1(-ep)) - xp.log(ep), xp.log(-xp.expm1(en)) - xp.log(-en))
        return xp.where(small, near, far)

    def cb_mean(self, e: Any) -> Any:
        xp = self.xp
        e = xp.asarray(e)
        small = xp.abs(e) < 2.0
        es = xp.where(small, e, 0.0)
        mean_coefs = _cb_coefs()[0]
        series = 0.5 + es * _horner(es * es, mean_coefs)
        el = xp.where(small, 3.0, e)
        return xp.where(small, series, -1.0 / xp.expm1(-el) - 1.0 / el)

    def cb_variance(self, e: Any) -> Any:
        xp = self.xp
        e = xp.asarray(e)
        small = xp.abs(e) < 2.0
        es = xp.where(small, e, 0.0)
        var_coefs = _cb_coefs()[1]
        series = _horner(es * es, var_coefs)
        el = xp.where(small, 3.0, e)
        sh = xp.sinh(0.5 * el)
        return xp.where(small, series, 1.0 / (el * el) - 0.25 / (sh * sh))


# Derivatives of the elementary helpers, in the target library's ops: each returns the partial
# derivatives with respect to the helper's inputs, keeping the helper's relative accuracy where
# it cancels (a near b): the differences are formed exactly, never from a rounded ratio.
def _d_expm1mx(xp: Any, u: Any) -> tuple[Any, ...]:
    # d/du (e^u - 1 - u) = e^u - 1
    return (xp.expm1(u),)


def _d_log1pmx(xp: Any, t: Any) -> tuple[Any, ...]:
    # d/dt (log(1 + t) - t) = 1/(1 + t) - 1 = -t/(1 + t)
    return (-t / (1.0 + t),)


def _d_atanmx(xp: Any, x: Any) -> tuple[Any, ...]:
    # d/dx (atan(x) - x) = 1/(1 + x^2) - 1 = -x^2/(1 + x^2)
    x2 = x * x
    return (-x2 / (1.0 + x2),)


def _d_log_ratio(xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return 1.0 / a, -1.0 / b


def _d_log_ratio_d(xp: Any, a: Any, b: Any, d: Any) -> tuple[Any, ...]:
    # the forward's branches: log1p(d/b), whose partials are d/dd = 1/(b + d), d/db = -d/(b (b + d))
    # (none in a), and log(a/b) where d/b < -1/2 (d/da = 1/a, d/db = -1/b, none in d); with
    # d = a - b both give the total derivative da/a - db/b
    far = d / b < -0.5
    s = b + d
    return xp.where(far, 1.0 / a, 0.0), xp.where(far, -1.0 / b, -d / (b * s)), xp.where(far, 0.0, 1.0 / s)


def _d_xm1mlog(xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
    # a/b - 1 - log(a/b): d/da = 1/b - 1/a = (a - b)/(a b), d/db = (b - a)/b^2
    t = (a - b) / b
    return t / a, -t / b


def _d_xm1mlog_d(xp: Any, a: Any, b: Any, d: Any) -> tuple[Any, ...]:
    # the forward's branches: f(t) = t - log1p(t), t = d/b, f'(t) = t/(1 + t): d/dd = d/(b (b + d)),
    # d/db = -d^2/(b^2 (b + d)) (none in a); and r - 1 - log r, r = a/b, where t < -1/2
    # (the partials of xm1mlog, none in d)
    t = d / b
    far = t < -0.5
    s = b + d
    near_d = t / s
    tf = (a - b) / b
    return xp.where(far, tf / a, 0.0), xp.where(far, -tf / b, -t * near_d), xp.where(far, 0.0, near_d)


def _powm1(xp: Any, a: Any, b: Any, k: Any) -> Any:
    """``(a/b)**k - 1`` to full relative accuracy near ``a = b``: from the exact difference
    (``t`` or ``t (t + 2)``, ``t = (a - b)/b``) for ``k = +-1, +-2``, else
    ``expm1(k log1p((a - b)/b))`` (``log(a/b)`` where the ratio is far from 1)."""
    if isinstance(k, float) and k in _SMALL_K:
        if k < 0:
            a, b, k = b, a, -k
        t = (a - b) / b
        return t * (t + 2.0) if k == 2.0 else t
    return xp.expm1(k * _log_ratio_accurate(xp, a, b))


def _log_ratio_accurate(xp: Any, a: Any, b: Any) -> Any:
    d = (a - b) / b
    near = xp.abs(d) < 0.5
    return xp.where(near, xp.log1p(xp.where(near, d, 0.0)), xp.log(a / b))


def _d_powm1mlog(xp: Any, a: Any, b: Any, k: Any) -> tuple[Any, ...]:
    # (a/b)**k - 1 - k log(a/b): d/da = (k/a) ((a/b)**k - 1), d/db = -(k/b) ((a/b)**k - 1),
    # d/dk = log(a/b) ((a/b)**k - 1) (for a tensor k only; a Python k is a constant)
    em1 = _powm1(xp, a, b, k)
    if isinstance(k, float):
        return (k / a) * em1, (-k / b) * em1
    return (k / a) * em1, (-k / b) * em1, _log_ratio_accurate(xp, a, b) * em1


_ELEMENTARY_GRADS: dict[str, Callable[..., tuple[Any, ...]]] = {
    "expm1mx": _d_expm1mx,
    "log1pmx": _d_log1pmx,
    "atanmx": _d_atanmx,
    "log_ratio": _d_log_ratio,
    "log_ratio_d": _d_log_ratio_d,
    "xm1mlog": _d_xm1mlog,
    "xm1mlog_d": _d_xm1mlog_d,
    "powm1mlog": _d_powm1mlog,
}


# Derivatives of the gamma-function helpers, in the target library's ops.
# Each returns the partial derivatives with respect to the helper's inputs.
def _d_lgamma_diff(xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return -xp.digamma(a), xp.digamma(b)


def _d_digamma_diff(xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return -xp.polygamma(1, a), xp.polygamma(1, b)


def _d_lgamma_diff_d(xp: Any, a: Any, d: Any) -> tuple[Any, ...]:
    psi_b = xp.digamma(a + d)
    return psi_b - xp.digamma(a), psi_b


def _d_digamma_diff_d(xp: Any, a: Any, d: Any) -> tuple[Any, ...]:
    tri_b = xp.polygamma(1, a + d)
    return tri_b - xp.polygamma(1, a), tri_b


def _d_lgamma_bregman(xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
    # d/da = -(b - a) psi'(a); d/db = psi(b) - psi(a)
    return -(b - a) * xp.polygamma(1, a), xp.digamma(b) - xp.digamma(a)


def _d_lgamma_bregman_d(xp: Any, a: Any, d: Any) -> tuple[Any, ...]:
    # B(a, a + d): d/da = psi(a + d) - psi(a) - d psi'(a); d/dd = psi(a + d) - psi(a)
    dpsi = xp.digamma(a + d) - xp.digamma(a)
    return dpsi - d * xp.polygamma(1, a), dpsi


def _d_gamma_bregman(xp: Any, a1: Any, b1: Any, a2: Any, b2: Any) -> tuple[Any, ...]:
    # KL(Gamma(a1, b1) || Gamma(a2, b2)) = (a1 - a2) psi(a1) - lgamma(a1) + lgamma(a2)
    #                                      + a2 log(b1 / b2) + a1 (b2 / b1 - 1)
    return (
        (a1 - a2) * xp.polygamma(1, a1) + b2 / b1 - 1.0,
        a2 / b1 - a1 * b2 / (b1 * b1),
        xp.digamma(a2) - xp.digamma(a1) + xp.log(b1 / b2),
        a1 / b1 - a2 / b2,
    )


def _d_beta_bregman(xp: Any, a1: Any, b1: Any, a2: Any, b2: Any) -> tuple[Any, ...]:
    # KL(Beta(a1, b1) || Beta(a2, b2)) = log B(a2, b2) - log B(a1, b1) + (a1 - a2) psi(a1)
    #                                    + (b1 - b2) psi(b1) + (s2 - s1) psi(s1),  s = a + b
    s1, s2 = a1 + b1, a2 + b2
    tri_s1 = xp.polygamma(1, s1)
    psi_s1, psi_s2 = xp.digamma(s1), xp.digamma(s2)
    return (
        (a1 - a2) * xp.polygamma(1, a1) - (s1 - s2) * tri_s1,
        (b1 - b2) * xp.polygamma(1, b1) - (s1 - s2) * tri_s1,
        xp.digamma(a2) - psi_s2 - xp.digamma(a1) + psi_s1,
        xp.digamma(b2) - psi_s2 - xp.digamma(b1) + psi_s1,
    )


def _d_gamma_bregman_step(xp: Any, a: Any, b: Any, e: Any) -> tuple[Any, ...]:
    # lgamma(b) - lgamma(a) - (b - a) psi(a) + a (e - l) - (b - a) l, l = log(1 + e)
    return -(b - a) * xp.polygamma(1, a) + e, xp.digamma(b) - xp.digamma(a) - xp.log1p(e), a - b / (1.0 + e)


def _d_lgamma_mpsi(xp: Any, x: Any, c: Any) -> tuple[Any, ...]:
    # lgamma(x) + (c - x) psi(x) + x: d/dx = (c - x) psi'(x) + 1; d/dc = psi(x)
    return (c - x) * xp.polygamma(1, x) + 1.0, xp.digamma(x)


_GAMMA_HELPER_GRADS: dict[str, Callable[..., tuple[Any, ...]]] = {
    "lgamma_mpsi": _d_lgamma_mpsi,
    "lgamma_diff": _d_lgamma_diff,
    "digamma_diff": _d_digamma_diff,
    "lgamma_diff_d": _d_lgamma_diff_d,
    "digamma_diff_d": _d_digamma_diff_d,
    "lgamma_bregman": _d_lgamma_bregman,
    "lgamma_bregman_d": _d_lgamma_bregman_d,
    "gamma_bregman": _d_gamma_bregman,
    "beta_bregman": _d_beta_bregman,
    "gamma_bregman_step": _d_gamma_bregman_step,
}

# every helper's analytic partials, by name (GenericStable._partials)
_HELPER_GRADS = {**_ELEMENTARY_GRADS, **_GAMMA_HELPER_GRADS}


def _betainc_fd(which: int, a: Any, b: Any, x: Any) -> np.ndarray:
    """Central difference of scipy's ``betainc`` in ``a`` (which=0) or ``b`` (which=1).

    The derivative in the shape parameters has no elementary form (it is a
    hypergeometric series); a step of 1e-5 relative gives about 9 digits.
    """
    import scipy.special

    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, x)))
    x = np.clip(x, 0.0, 1.0)
    shape = a if which == 0 else b
    h = 1e-5 * np.maximum(1.0, np.abs(shape))
    step = (h, 0.0) if which == 0 else (0.0, h)
    up = scipy.special.betainc(a + step[0], b + step[1], x)
    down = scipy.special.betainc(a - step[0], b - step[1], x)
    return (up - down) / (2.0 * h)


def _betainc_clamped(a: Any, b: Any, x: Any) -> np.ndarray:
    """scipy's ``betainc`` with ``x`` clamped to [0, 1].

    The generated code evaluates every branch of a ``where``; a NaN from
    ``x`` outside [0, 1] in a branch that is not taken would still turn the
    gradients of torch and JAX into NaN (0 * NaN), so the differentiable
    backends clamp ``x`` (numpy's values where ``0 <= x <= 1``).
    """
    import scipy.special

    return scipy.special.betainc(a, b, np.clip(x, 0.0, 1.0))


def _d_betainc(xp: Any, a: Any, b: Any, x: Any) -> tuple[Any, ...]:
    # d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b) inside (0, 1), 0 where x is clamped;
    # in a and b: central differences on the host
    inside = (x > 0.0) & (x < 1.0)
    xs = xp.where(inside, x, 0.5)
    density = xp.exp((a - 1.0) * xp.log(xs) + (b - 1.0) * xp.log1p(-xs) - xp.betaln(a, b))
    density = xp.where(inside, density, 0.0)
    da = xp._host(functools.partial(_betainc_fd, 0), a, b, x)
    db = xp._host(functools.partial(_betainc_fd, 1), a, b, x)
    return da, db, density


def _gammainc_clamped(a: Any, x: Any) -> np.ndarray:
    """scipy's ``gammainc`` with ``x`` clamped to >= 0 (see :func:`_betainc_clamped`)."""
    import scipy.special

    return scipy.special.gammainc(a, np.maximum(x, 0.0))


def _gammainc_fd_a(a: Any, x: Any) -> np.ndarray:
    """Central difference of ``gammainc`` in ``a`` (no elementary form; about 9 digits)."""
    import scipy.special

    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.maximum(np.asarray(x, dtype=np.float64), 0.0))
    h = 1e-5 * np.maximum(1.0, np.abs(a))
    return (scipy.special.gammainc(a + h, x) - scipy.special.gammainc(a - h, x)) / (2.0 * h)


def _d_gammainc(xp: Any, a: Any, x: Any) -> tuple[Any, ...]:
    # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a) for x > 0 (0 where x is clamped)
    positive = x > 0.0
    xs = xp.where(positive, x, 1.0)
    density = xp.where(positive, xp.exp((a - 1.0) * xp.log(xs) - xs - xp.gammaln(a)), 0.0)
    return xp._host(_gammainc_fd_a, a, x), density


def _lambertw_real(x: Any) -> np.ndarray:
    """Principal branch of Lambert's W for real ``x >= -1/e`` (scipy returns complex)."""
    import scipy.special

    return np.real(scipy.special.lambertw(x))


def _d_lambertw(xp: Any, x: Any) -> tuple[Any, ...]:
    # W'(x) = W / (x (1 + W)) = 1 / (exp(W) (1 + W)), finite at x = 0
    w = xp._host(_lambertw_real, x)
    return (1.0 / (xp.exp(w) * (1.0 + w)),)


def _d_expi(xp: Any, x: Any) -> tuple[Any, ...]:
    return (xp.exp(x) / x,)


def _d_exp1(xp: Any, x: Any) -> tuple[Any, ...]:
    return (-xp.exp(-x) / x,)


# trigamma(z) ~ 1/z + 1/(2 z^2) + sum_k B_2k / z^(2k+1) for z >= 10
_TRIGAMMA_ASYM = (1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 5.0 / 66.0, -691.0 / 2730.0, 7.0 / 6.0)


def _trigamma(xp: Any, x: Any) -> Any:
    """``polygamma(1, x)`` for ``x > 0`` to ~1e-16: recurrence up to 10, then the asymptotic series."""
    acc = x * 0.0
    z = x
    for _ in range(10):
        small = z < 10.0
        zs = xp.where(small, z, 1.0)
        acc = acc + xp.where(small, 1.0 / (zs * zs), 0.0)
        z = xp.where(small, z + 1.0, z)
    inv = 1.0 / z
    inv2 = inv * inv
    series = _horner(inv2, list(_TRIGAMMA_ASYM)) * inv2 * inv
    return acc + inv + 0.5 * inv2 + series


def _numpy_stable(name: str) -> Callable[..., Any]:
    from .. import stable

    return getattr(stable, name)


class GenericLinalg:
    """:mod:`anadiv.numeric.linalg`'s functions over a library's linear algebra.

    ``ops`` supplies ``cholesky(a) -> (L, ok)``, ``solve_lower(L, b)``,
    ``diagonal(a)``, ``tril(a, k)``, ``sum(a, axis)``, ``zeros(shape, like)``.
    """

    def __init__(self, xp: Any, ops: Any) -> None:
        self.xp = xp
        self.ops = ops

    def cholesky(self, cov: Any, name: str = "cov") -> Any:
        cov = self.xp.asarray(cov)
        if cov.ndim < 2 or cov.shape[-1] != cov.shape[-2]:
            raise ValueError(f"{name}: must be square with shape (..., d, d), got shape {tuple(cov.shape)}")
        chol, ok = self.ops.cholesky(cov)
        if ok is False:
            raise ValueError(f"{name}: must be positive definite (Cholesky factorization failed)")
        return chol

    def solve_lower(self, chol: Any, rhs: Any) -> Any:
        return self.ops.solve_lower(chol, rhs)

    def dimension(self, **arrays: Any) -> int:
        from .. import linalg as _linalg

        shapes = {n: _Shaped(tuple(a.shape) if hasattr(a, "shape") else np.shape(a)) for n, a in arrays.items()}
        return _linalg.dimension(**shapes)

    def logdet(self, chol: Any) -> Any:
        return 2.0 * self.ops.sum(self.xp.log(self.ops.diagonal(chol)), -1)

    def mahalanobis(self, chol: Any, diff: Any) -> Any:
        diff = self.xp.asarray(diff)
        z = self.ops.solve_lower(chol, diff[..., None])[..., 0]
        return self.ops.sum(z * z, -1)

    def trace_solve(self, chol_b: Any, chol_a: Any) -> Any:
        m = self.ops.solve_lower(chol_b, chol_a)
        return self.ops.sum(m * m, (-2, -1))

    def batch_zeros(self, x: Any, event_ndim: int) -> Any:
        x = self.xp.asarray(x)
        shape = tuple(x.shape[: x.ndim - event_ndim]) if event_ndim else tuple(x.shape)
        return self.ops.zeros(shape, x)

    def kl_core(self, cov_a: Any, chol_a: Any, cov_b: Any, chol_b: Any) -> Any:
        """``tr(B^-1 A) - d - log det(B^-1 A)`` as a sum of nonnegative terms.

        The numpy version additionally recomputes nearly equal covariances
        through eigenvalues; eigenvalue gradients are undefined for repeated
        eigenvalues (equal covariances), so the differentiable backends keep
        the Cholesky form, accurate down to KL ~ 1e-12 relative to d.
        """
        xp = self.xp
        stable = GenericStable(xp)
        m = self.ops.solve_lower(chol_b, chol_a)
        off = self.ops.sum(self.ops.tril(m, -1) ** 2, (-2, -1))
        # diag(M) = a / b from the factors' diagonals; as in anadiv.numeric.linalg._ratio_atoms,
        # r^2 - 1 = t (t + 2) from the difference, and log a - log b where r^2 << 1
        a, b = self.ops.diagonal(chol_a), self.ops.diagonal(chol_b)
        t = (a - b) / b
        x = t * (t + 2.0)
        far = x < -0.99
        near = -stable.log1pmx(xp.where(far, 0.0, x))
        r = a / b
        terms = xp.where(far, r * r - 1.0 - 2.0 * (xp.log(a) - xp.log(b)), near)
        return self.ops.sum(terms, -1) + off


class _Shaped:
    """Something with a shape only (for :func:`anadiv.numeric.linalg.dimension`)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape



