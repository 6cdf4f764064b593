r"""The gamma-function stable helpers, written once for any array namespace.

The same mathematics as the numpy helpers of :mod:`anadiv.numeric.stable`
(read their docstrings): :math:`\log\Gamma` and :math:`\psi` differences and
Bregman divergences from Stirling's series after shifting both arguments
above 16 with the recurrence of :math:`\Gamma`, as sums of nonnegative pieces;
the Gamma and Beta KLs regrouped around an exact cross-product difference
(Dekker's product); NaN where the generic sum cancels by more than the float
result can carry, so the result check recomputes that element.

Written for tracing array libraries (``torch.func``, ``torch.compile``,
``jax.jit``, ``jax.vmap``): under a transform or a tracer there is no
data-dependent Python control flow and no data-dependent shape. The
recurrence runs a fixed 16 steps, each masked where the element needs fewer;
every branch of a ``where`` gets a safe input where it is not selected, so
neither its value nor its gradient sees a NaN or an infinity from the branch
that is discarded. On eager arrays, whose values Python may read
(:meth:`GammaStable._values_known`), a branch no element takes is skipped and
the recurrence stops at the largest shift, as numpy's helpers do (one
synchronisation each; the values are the same).

Dtypes: every helper computes in float64 and casts back to its arguments'
dtype. For ``gamma_bregman``, ``beta_bregman`` and ``gamma_bregman_step``, the
generic branch cancels by up to 256 before the NaN hand-off, which float32
cannot carry. For the other seven (``lgamma_diff``, ``lgamma_diff_d``,
``digamma_diff``, ``digamma_diff_d``, ``lgamma_bregman``, ``lgamma_bregman_d``,
``lgamma_mpsi``: :meth:`GammaStable._in_double`), the far branches take the
library's float32 ``gammaln``/``digamma`` (XLA's are off by up to 16 ulps of
their terms), and the terms' cancellation (``lgamma_mpsi`` near its zeros)
would magnify that beyond what the result check sees. Where the library has no
float64 (JAX without ``jax_enable_x64``), all ten run numpy's helper on the host
(``pure_callback``; scipy's float32 loops and the KL helpers compute in double):
in float32 the KL helpers' cancellation bound (8, as
:data:`anadiv.numeric.refine.CANCELLATION`) would hand about 15 % of typical
Gamma pairs to the exact fallback, one mpmath evaluation each. On a torch device
without float64 (MPS) they compute in float32, with float32's splitter for
Dekker's product and that bound.

Gradients: the six difference and Bregman helpers and ``lgamma_mpsi`` are
differentiated by the library's own autodiff of these expressions (accurate:
every piece is smooth, and the masks are locally constant). The three KL
helpers return NaN where their generic branch cancels (the result check then
recomputes the value, as a constant); their derivatives are the analytic
partials (from ``digamma``/``trigamma``, :mod:`.generic`'s ``_d_*``), right
at those points too and cheaper than differentiating the whole expression,
attached by the backend's :meth:`GammaStable._with_partials`
(``torch.autograd.Function`` with ``setup_context`` and a generated vmap rule;
``jax.custom_jvp``).

Dekker's product and FMA: eager kernels (torch, JAX op by op) never contract
``a * b - c``. A compiler that fuses may: ``ah * bh - p`` contracted is still
exact (``ah * bh`` is exact), but ``c - (c - a)`` with ``c = S a`` would not
split ``a`` if ``c - a`` became ``fma(S, a, -a)``. ``torch.compile`` on the
CPU and ``jax.jit`` on the CPU give numpy's values at nearly equal means
(where the cross product decides the result); a GPU compiler has not been
checked.

Examples
--------
>>> import torch
>>> from anadiv.numeric.backends.torch_backend import namespace
>>> st = namespace()._stable
>>> float(st.lgamma_bregman(torch.tensor(2.0, dtype=torch.float64), 2.0 + 1e-8))  # doctest: +ELLIPSIS
3.2246...e-17
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .. import stable as _np_stable
from ..error_free import SPLIT32, SPLIT64, two_product

# the series of log1pmx (atanh) and expm1mx, as anadiv.numeric.stable has them
_ATANH_COEFS = [float(c) for c in _np_stable._ATANH_COEFS]
_EXPM1MX_COEFS = [float(c) for c in _np_stable._EXPM1MX_COEFS]


def _horner(x: Any, coefs: list[float]) -> Any:
    """``sum(coefs[i] * x**i)`` by Horner's rule, in any namespace (no in-place updates)."""
    acc = x * 0.0 + coefs[-1]
    for c in coefs[-2::-1]:
        acc = acc * x + c
    return acc


def _largest(x: Any) -> float:
    """The largest element of an eager array, read without its autograd graph (torch)."""
    return float((x.detach() if hasattr(x, "detach") else x).max())


def _needed(xmax: float, coefs: list[float]) -> list[float]:
    """The leading ``coefs`` a series with ``|x| <= xmax`` needs (numpy's ``_horner_needed``).

    For positive, decreasing coefficients and ``|x| < 1`` the terms left out after
    ``k`` are below ``6 coefs[k] xmax^k``: ``k`` is the first index where that is under
    1e-19 of ``coefs[0]`` (all terms for ``xmax >= 1`` or NaN)."""
    if not xmax < 1.0:
        return coefs
    power = 1.0
    for k in range(1, len(coefs)):
        power *= xmax
        if 6.0 * coefs[k] * power <= 1e-19 * coefs[0]:
            return coefs[:k]
    return coefs

__all__ = ["GammaStable"]

_STIRLING = _np_stable._STIRLING
_DIGAMMA_ASYM = _np_stable._DIGAMMA_ASYM
_X0 = _np_stable._X0
# positive arguments never need more than 16 steps of the recurrence: j = 0, ..., 15
_STEPS = tuple((float(j),) for j in range(int(_X0)))
_CANCELLATION64 = _np_stable._CANCELLATION
_CANCELLATION32 = 8.0


class GammaStable:
    """Mixin of :class:`~anadiv.numeric.backends.generic.GenericStable`: the gamma-function helpers.

    Uses ``self.xp`` and the elementary helpers (``log1pmx``, ``expm1mx``,
    ``_log_ratio_d``, ``log_ratio``, ``powm1mlog``). A backend overrides the
    hooks :meth:`_floats`, :meth:`_wide`, :meth:`_narrow`, :meth:`_is_double`
    and :meth:`_with_partials`.
    """

    xp: Any
    log1pmx: Callable[[Any], Any]
    expm1mx: Callable[[Any], Any]
    _log_ratio_d: Callable[[Any, Any, Any], Any]
    log_ratio: Callable[[Any, Any], Any]
    powm1mlog: Callable[[Any, Any, Any], Any]

    # ------------------------------------------------------------ backend hooks
    def _floats(self, *args: Any) -> tuple[Any, ...]:
        """The arguments as floating arrays of the namespace (integer literals become floats)."""
        return tuple(self.xp.asarray(a) for a in args)

    def _wide(self, *arrays: Any) -> tuple[tuple[Any, ...], Any]:
        """The arrays in float64 (where the library has it) and the dtype to cast the result back to."""
        return arrays, None

    def _narrow(self, x: Any, dtype: Any) -> Any:
        return x

    def _is_double(self, x: Any) -> bool:
        return True

    def _host_helper(self, name: str) -> Callable[..., Any] | None:
        """numpy's helper ``name`` run on the host, for a library without float64 (JAX without x64); else None."""
        return None

    def _host_for_single(self, name: str, arrays: tuple[Any, ...]) -> Callable[..., Any] | None:
        """numpy's helper on the host where the arrays are single precision and the library has no
        float64 (JAX without ``jax_enable_x64``), else None (the native code)."""
        batch = [a for a in arrays if a.ndim] or list(arrays)  # 0-d values (Python numbers) do not set the dtype
        return None if all(self._is_double(a) for a in batch) else self._host_helper(name)

    def _in_double(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn`` on the arguments in float64, cast back to their dtype (numpy's helper on the host
        where the library has no float64: :meth:`_host_for_single`).

        The far branches take the library's ``gammaln``/``digamma``, whose float32
        values are off by up to 16 ulps of their size (XLA's): the terms' cancellation
        (``lgamma_mpsi`` near its zeros, a Bregman divergence of close arguments) would
        magnify that beyond what the result check sees.
        """
        arrays = self._floats(*args)
        host = self._host_for_single(name, arrays)
        if host is not None:
            return host(*arrays)
        wide, dtype = self._wide(*arrays)
        return self._narrow(fn(*wide), dtype)

    def _kl_helper(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """A KL helper with its analytic partials, or numpy's on the host where the library has no
        float64: in float32 the generic branch's cancellation bound (8) hands about 15 % of typical
        Gamma pairs to the exact (mpmath) fallback, element by element."""
        arrays = self._floats(*args)
        host = self._host_for_single(name, arrays)
        if host is not None:
            return host(*arrays)
        return self._with_partials(name, fn, self._partials(name), *arrays)

    def _values_known(self, x: Any) -> bool:
        """Whether Python may read ``x``'s values (eager arrays; not under a transform or a tracer)."""
        return False

    def _some(self, mask: Any) -> bool:
        """Whether any element of ``mask`` may be true: ``True`` unless the values are known."""
        return bool(mask.any()) if self._values_known(mask) else True

    def _steps(self, n: Any) -> tuple[tuple[float, ...], ...]:
        """The recurrence's steps: all 16, or, with known values, as many as the largest shift needs."""
        if not self._values_known(n) or not math.prod(n.shape):
            return _STEPS
        return _STEPS[: int(n.max())]

    def _log1pmx(self, t: Any) -> Any:
        """``log1pmx`` (:class:`~.generic.GenericStable`'s); on eager arrays with the branches
        some element takes and the series terms its largest argument needs (numpy's
        ``_horner_needed``): the recurrence calls it 16 times, on small arguments mostly."""
        if not self._values_known(t) or not math.prod(t.shape):
            return self.log1pmx(t)
        xp = self.xp
        near = (t >= -0.5) & (t <= 1.0)
        series = direct = 0.0
        if self._some(near):
            ts = xp.where(near, t, 0.0)
            z = ts / (2.0 + ts)
            z2 = z * z
            series = -ts * z + 2.0 * z * z2 * _horner(z2, _needed(_largest(z2), _ATANH_COEFS))
        if self._some(~near):
            tf = xp.where(near, 2.0, t)
            direct = xp.log1p(tf) - tf
        return xp.where(near, series, direct)

    def _expm1mx(self, u: Any) -> Any:
        """``expm1mx`` (:class:`~.generic.GenericStable`'s), adapted on eager arrays as :meth:`_log1pmx`."""
        if not self._values_known(u) or not math.prod(u.shape):
            return self.expm1mx(u)
        xp = self.xp
        small = xp.abs(u) < 1.0
        series = direct = 0.0
        if self._some(small):
            us = xp.where(small, u, 0.0)
            series = us * us * _horner(us, _needed(_largest(xp.abs(us)), _EXPM1MX_COEFS))
        if self._some(~small):
            ul = xp.where(small, 1.0, u)
            direct = xp.expm1(ul) - ul
        return xp.where(small, series, direct)

    def _sum_terms(self, start: Any, term: Callable[..., Any], table: tuple[tuple[float, ...], ...]) -> Any:
        """``start + term(*table[0]) + term(*table[1]) + ...``, in this order.

        The series (``_STIRLING``, ``_DIGAMMA_ASYM``) and the recurrence's fixed 16 steps
        (:data:`_STEPS`; each term masked where the element needs fewer). A Python loop
        (the table's numbers as Python floats); JAX overrides it with ``lax.fori_loop``
        under tracing (one body to trace and compile instead of one per row)."""
        out = start
        for row in table:
            out = out + term(*row)
        return out

    def _partials(self, name: str) -> Callable[..., tuple[Any, ...]]:
        """The analytic partials of the helper ``name``: ``partials(xp, *args)`` (generic.py's ``_d_*``)."""
        raise NotImplementedError(f"{type(self).__name__} supplies no derivative for {name}")

    def _with_partials(self, name: str, fn: Callable[..., Any], partials: Callable[..., tuple[Any, ...]],
                       *args: Any) -> Any:
        """``fn(*args)`` whose derivative is ``partials(xp, *args)`` (a backend attaches it)."""
        return fn(*args)

    # ------------------------------------------------------------------ pieces
    def _shift(self, a: Any, b: Any) -> Any:
        xp = self.xp
        # ceil(max(16 - min(a, b), 0)), with ceil(y) = -floor(-y) (every namespace has floor)
        return -xp.floor(-xp.maximum(_X0 - xp.minimum(a, b), 0.0))

    def _pieces(self, a: Any, b: Any, d: Any) -> tuple[Any, Any, Any, Any]:
        n = self._shift(a, b)
        x = a + n
        t = d / x
        return x, t, self._log_ratio_d(b + n, x, t), n

    def _l1(self, t: Any, lt: Any) -> Any:
        """``log1pmx(t)``; for ``t < -0.5`` from ``log1p(t)`` (t -> -1 carries an absolute error)."""
        xp = self.xp
        far = t < -0.5
        return xp.where(far, lt - t, self._log1pmx(xp.where(far, 0.0, t)))

    def _lgamma_bregman_near(self, a: Any, b: Any, d: Any) -> Any:
        xp = self.xp
        x, t, lt, n = self._pieces(a, b, d)
        l1 = self._l1(t, lt)
        out = x * (t * lt + l1) - 0.5 * l1
        xi = 1.0 / x
        out = self._sum_terms(out, lambda c, m: c * xi**m * (self._expm1mx(-m * lt) - m * l1), _STIRLING)

        # A step is active (n > j) only where min(a, b) < 16, and this branch runs only where
        # then |b - a| < min(a, b) / 2: so |d / (a + j)| < 1/2 and numpy's |t| > 1 form of
        # the step (t - log((b + j)/(a + j))) is never taken here.
        def term(j: Any) -> Any:
            active = n > j
            tj = xp.where(active, d, 0.0) / xp.where(active, a + j, 1.0)
            return -xp.where(active, self._log1pmx(tj), 0.0)

        return self._sum_terms(out, term, self._steps(n))

    def _lgamma_diff_near(self, a: Any, b: Any, d: Any) -> Any:
        xp = self.xp
        x, _, lt, n = self._pieces(a, b, d)
        out = (x + d - 0.5) * lt + d * (xp.log(x) - 1.0)
        xi = 1.0 / x
        out = self._sum_terms(out, lambda c, m: c * xi**m * xp.expm1(-m * lt), _STIRLING)

        # active steps have |d / (a + j)| < 1/2 (see _lgamma_bregman_near): log1p directly
        def term(j: Any) -> Any:
            active = n > j
            tj = xp.where(active, d, 0.0) / xp.where(active, a + j, 1.0)
            return -xp.where(active, xp.log1p(tj), 0.0)

        return self._sum_terms(out, term, self._steps(n))

    def _digamma_diff_near(self, a: Any, b: Any, d: Any) -> Any:
        xp = self.xp
        x, _, lt, n = self._pieces(a, b, d)
        out = lt + 0.5 * d / (x * (b + n))
        xi = 1.0 / x
        out = self._sum_terms(out, lambda c, m: -c * xi**m * xp.expm1(-m * lt), _DIGAMMA_ASYM)

        def term(j: Any) -> Any:
            active = n > j
            aj = xp.where(active, a + j, 1.0)
            bj = xp.where(active, b + j, 1.0)
            return xp.where(active, xp.where(active, d, 0.0) / (aj * bj), 0.0)

        return self._sum_terms(out, term, self._steps(n))

    def _lgamma_bregman_far(self, a: Any, b: Any, d: Any) -> Any:
        xp = self.xp
        return xp.gammaln(b) - xp.gammaln(a) - d * xp.digamma(a)

    def _lgamma_diff_far(self, a: Any, b: Any, d: Any) -> Any:
        return self.xp.gammaln(b) - self.xp.gammaln(a)

    def _digamma_diff_far(self, a: Any, b: Any, d: Any) -> Any:
        return self.xp.digamma(b) - self.xp.digamma(a)

    def _two_branch(self, a: Any, b: Any, d: Any, near_fn: Callable[..., Any], far_fn: Callable[..., Any]) -> Any:
        """``near_fn`` where the plain difference would cancel, ``far_fn`` elsewhere; each on safe inputs."""
        xp = self.xp
        lo = xp.minimum(a, b)
        near = (xp.abs(b - a) < 0.5 * lo) | (lo >= _X0)
        # safe points: a near pair (1, 1) for the near branch, a far pair (1, 2) for the far one
        near_value = far_value = 0.0
        if self._some(near):
            near_value = near_fn(xp.where(near, a, 1.0), xp.where(near, b, 1.0), xp.where(near, d, 0.0))
        if self._some(~near):
            far_value = far_fn(xp.where(near, 1.0, a), xp.where(near, 2.0, b), xp.where(near, 1.0, d))
        return xp.where(near, near_value, far_value)

    # ------------------------------------------------------------ the helpers
    def _by_ends(self, near_fn: Callable[..., Any], far_fn: Callable[..., Any]) -> Callable[[Any, Any], Any]:
        """The two-branch evaluation at ``(a, b)``, the step ``b - a``."""
        return lambda a, b: self._two_branch(a, b, b - a, near_fn, far_fn)

    def _by_step(self, near_fn: Callable[..., Any], far_fn: Callable[..., Any]) -> Callable[[Any, Any], Any]:
        """The two-branch evaluation at ``(a, a + d)`` from the exact step ``d``."""
        return lambda a, d: self._two_branch(a, a + d, d, near_fn, far_fn)

    def lgamma_bregman(self, a: Any, b: Any) -> Any:
        """``lgamma(b) - lgamma(a) - (b - a) digamma(a)`` (see :func:`anadiv.numeric.stable.lgamma_bregman`)."""
        return self._in_double("lgamma_bregman", self._by_ends(self._lgamma_bregman_near, self._lgamma_bregman_far), a, b)

    def lgamma_bregman_d(self, a: Any, d: Any) -> Any:
        """:meth:`lgamma_bregman` at ``(a, a + d)`` with the step ``d`` exact."""
        return self._in_double("lgamma_bregman_d", self._by_step(self._lgamma_bregman_near, self._lgamma_bregman_far), a, d)

    def lgamma_diff(self, a: Any, b: Any) -> Any:
        """``lgamma(b) - lgamma(a)`` without cancellation when close."""
        return self._in_double("lgamma_diff", self._by_ends(self._lgamma_diff_near, self._lgamma_diff_far), a, b)

    def lgamma_diff_d(self, a: Any, d: Any) -> Any:
        """``lgamma(a + d) - lgamma(a)`` from the exact increment ``d``."""
        return self._in_double("lgamma_diff_d", self._by_step(self._lgamma_diff_near, self._lgamma_diff_far), a, d)

    def digamma_diff(self, a: Any, b: Any) -> Any:
        """``digamma(b) - digamma(a)`` without cancellation when close."""
        return self._in_double("digamma_diff", self._by_ends(self._digamma_diff_near, self._digamma_diff_far), a, b)

    def digamma_diff_d(self, a: Any, d: Any) -> Any:
        """``digamma(a + d) - digamma(a)`` from the exact increment ``d``."""
        return self._in_double("digamma_diff_d", self._by_step(self._digamma_diff_near, self._digamma_diff_far), a, d)

    def lgamma_mpsi(self, x: Any, c: Any) -> Any:
        """``lgamma(x) + (c - x) digamma(x) + x``: the asymptotic series with the large terms
        cancelled by hand from 10 on, ``gammaln`` and ``digamma`` below."""
        return self._in_double("lgamma_mpsi", self._lgamma_mpsi, x, c)

    def _lgamma_mpsi(self, x: Any, c: Any) -> Any:
        xp = self.xp
        big = x >= 10.0
        series = small = 0.0
        if self._some(big):
            series = self._lgamma_mpsi_big(xp.where(big, x, 10.0), c)
        if self._some(~big):
            xs = xp.where(big, 1.0, x)
            small = xp.gammaln(xs) + (c - xs) * xp.digamma(xs) + xs
        return xp.where(big, series, small)

    def _lgamma_mpsi_big(self, xb: Any, c: Any) -> Any:
        return _np_stable._lgamma_mpsi_big(xb, c, self.xp.log)

    # ---------------------------------------- Bregman divergences of log-normalizers
    def _two_prod(self, a: Any, b: Any) -> tuple[Any, Any]:
        """``a * b = p + e`` exactly (Dekker, with Veltkamp's splitter for the dtype)."""
        return two_product(a, b, SPLIT64 if self._is_double(a) else SPLIT32)

    def _cross_diff(self, a2: Any, b1: Any, a1: Any, b2: Any) -> Any:
        p1, e1 = self._two_prod(a2, b1)
        p2, e2 = self._two_prod(a1, b2)
        return (p1 - p2) + (e1 - e2)

    def _phi1(self, t: Any, ratio: Any) -> Any:
        """``(1+t) log(1+t) - t`` with ``ratio = 1 + t`` computed directly."""
        xp = self.xp
        far = t < -0.5
        tn = xp.where(far, 0.0, t)
        near_value = tn * xp.log1p(tn) + self._log1pmx(tn)
        positive = ratio > 0
        rs = xp.where(positive, ratio, 1.0)
        far_value = xp.where(positive, rs * xp.log(rs), 0.0) - t
        return xp.where(far, far_value, near_value)

    def _stirling_r_bregman(self, x: Any, t: Any, lt: Any, l1: Any) -> Any:
        xi = 1.0 / x
        return self._sum_terms(x * 0.0, lambda c, m: c * xi**m * (self._expm1mx(-m * lt) - m * l1), _STIRLING)

    def _rel_parts(self, x: Any, y: Any, d: Any) -> tuple[Any, Any, Any]:
        t = d / x
        lt = self._log_ratio_d(y, x, t)
        return t, lt, self._l1(t, lt)

    def _cancellation(self, x: Any) -> float:
        return _CANCELLATION64 if self._is_double(x) else _CANCELLATION32

    def _gamma_bregman(self, a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        xp = self.xp
        (a1, b1, a2, b2), dtype = self._wide(a1, b1, a2, b2)
        da = a2 - a1
        big = xp.minimum(a1, a2) >= _X0
        generic = stir = 0.0
        if self._some(~big):
            bregman = self.lgamma_bregman(a1, a2) + a1 * self.powm1mlog(b1, b2, -1.0)
            cross = da * self.log_ratio(b1, b2)
            generic = bregman + cross
            # the last term has either sign: where it cancels the nonnegative rest by more than
            # the float result can carry, NaN hands the element to the result check
            generic = xp.where(bregman + xp.abs(cross) <= self._cancellation(generic) * generic, generic, xp.nan)
        if self._some(big):
            # safe point for the regrouped form where it is not used: equal Gammas of shape 16
            a1s, a2s = xp.where(big, a1, _X0), xp.where(big, a2, _X0)
            b1s, b2s = xp.where(big, b1, 1.0), xp.where(big, b2, 1.0)
            t, lt, l1 = self._rel_parts(a1s, a2s, xp.where(big, da, 0.0))
            n = self._cross_diff(a2s, b1s, a1s, b2s)
            den = a1s * b2s
            close = xp.abs(n) < 0.5 * den
            m = xp.where(close, self._log_ratio_d(a2s * b1s, den, xp.where(close, n, 0.0) / den),
                         xp.log((a2s * b1s) / den))
            stir = a2s * self._expm1mx(-m) - 0.5 * l1 + self._stirling_r_bregman(a1s, t, lt, l1)
        return self._narrow(xp.where(big, stir, generic), dtype)

    def _beta_bregman(self, a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        xp = self.xp
        (a1, b1, a2, b2), dtype = self._wide(a1, b1, a2, b2)
        da, db = a2 - a1, b2 - b1
        big = xp.minimum(xp.minimum(a1, a2), xp.minimum(b1, b2)) >= _X0
        generic = regrouped = 0.0
        if self._some(~big):
            terms_a = self.lgamma_bregman(a1, a2)
            terms_b = self.lgamma_bregman(b1, b2)
            terms_s = self._two_branch(a1 + b1, a2 + b2, da + db, self._lgamma_bregman_near,
                                       self._lgamma_bregman_far)
            generic = terms_a + terms_b - terms_s
            # the three Bregman terms are nonnegative but may cancel; where they do by more
            # than the float result can carry, NaN hands the element to the result check
            bound = self._cancellation(generic)
            generic = xp.where(terms_a + terms_b + terms_s <= bound * generic, generic, xp.nan)
        if self._some(big):
            # safe point for the regrouped form where it is not used: equal Betas (16, 16)
            a1, a2, b1, b2 = (xp.where(big, v, _X0) for v in (a1, a2, b1, b2))
            da, db = xp.where(big, da, 0.0), xp.where(big, db, 0.0)
            ds = da + db
            s1, s2 = a1 + b1, a2 + b2
            n = self._cross_diff(a2, b1, a1, b2)
            e = n / (a1 * s2)  # p2/p1 - 1
            f = -n / (b1 * s2)  # q2/q1 - 1
            main = ((s2 * a1 / s1) * self._phi1(e, (a2 * s1) / (a1 * s2))
                    + (s2 * b1 / s1) * self._phi1(f, (b2 * s1) / (b1 * s2)))
            ta, lta, l1a = self._rel_parts(a1, a2, da)
            tb, ltb, l1b = self._rel_parts(b1, b2, db)
            ts, lts, l1s = self._rel_parts(s1, s2, ds)
            half = -0.5 * (l1a + l1b - l1s)
            rest = (self._stirling_r_bregman(a1, ta, lta, l1a) + self._stirling_r_bregman(b1, tb, ltb, l1b)
                    - self._stirling_r_bregman(s1, ts, lts, l1s))
            regrouped = main + half + rest
        return self._narrow(xp.where(big, regrouped, generic), dtype)

    def _gamma_bregman_step(self, a: Any, b: Any, e: Any) -> Any:
        xp = self.xp
        (a, b, e), dtype = self._wide(a, b, e)
        d = b - a
        ep = xp.where(e > -1.0, e, 0.0)  # log1p's domain (a positive rate has e > -1)
        lg = xp.log1p(ep)
        big = xp.minimum(a, b) >= _X0
        generic = stir = 0.0
        if self._some(~big):
            bregman = self.lgamma_bregman(a, b)
            half = e >= -0.5
            rate = a * xp.where(half, -self._log1pmx(xp.where(half, e, 0.0)), e - lg)
            cross = -d * lg
            generic = bregman + rate + cross
            generic = xp.where(bregman + rate + xp.abs(cross) <= self._cancellation(generic) * generic, generic,
                               xp.nan)
        if self._some(big):
            as_, bs = xp.where(big, a, _X0), xp.where(big, b, _X0)
            es, ls = xp.where(big, ep, 0.0), xp.where(big, lg, 0.0)
            ds = xp.where(big, d, 0.0)
            t, lt, l1 = self._rel_parts(as_, bs, ds)
            p, err = self._two_prod(as_, es)
            num = (ds - p) - err  # b - a (1 + e), the numerator of the mean ratio
            q = num / (as_ * (1.0 + es))
            close = xp.abs(q) < 0.5
            m = xp.where(close, xp.log1p(xp.where(close, q, 0.0)), lt - ls)
            stir = bs * self._expm1mx(-m) - 0.5 * l1 + self._stirling_r_bregman(as_, t, lt, l1)
        return self._narrow(xp.where(e > -1.0, xp.where(big, stir, generic), xp.nan), dtype)

    def gamma_bregman(self, a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        """KL between Gamma(shape, rate) distributions (see :func:`anadiv.numeric.stable.gamma_bregman`)."""
        return self._kl_helper("gamma_bregman", self._gamma_bregman, a1, b1, a2, b2)

    def beta_bregman(self, a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        """KL between Beta distributions (see :func:`anadiv.numeric.stable.beta_bregman`)."""
        return self._kl_helper("beta_bregman", self._beta_bregman, a1, b1, a2, b2)

    def gamma_bregman_step(self, a: Any, b: Any, e: Any) -> Any:
        """KL between Gamma(a, 1) and Gamma(b, 1 + e) (see :func:`anadiv.numeric.stable.gamma_bregman_step`)."""
        return self._kl_helper("gamma_bregman_step", self._gamma_bregman_step, a, b, e)
