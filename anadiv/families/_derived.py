r"""The numeric hooks of a user's own family, derived from its sympy declarations.

A family declared outside anadiv with ``sym_logpdf`` and ``sym_support`` only
gets, through :class:`~anadiv.families.Family`'s fallbacks:

* ``_np_logpdf``: ``sym_logpdf`` printed as numpy code by the project's code
  printer (:func:`anadiv.codegen.on_demand.family_module`, cached like the
  closed forms; sympy is imported only when the printed module is not in the
  cache), ``-inf`` outside the support;
* ``_np_support``: ``sym_support``'s ends, printed the same way;
* ``_np_sample``: inversion of the cdf, :math:`X = F^{-1}(U)` with
  :math:`U \sim \mathrm{Uniform}(0, 1)`.

Why inversion: it is exact in distribution whenever :math:`F` is computed
exactly, needs nothing but the log-density (no envelope to find, which for
rejection or ratio-of-uniforms sampling must dominate the density everywhere,
a property a numeric search cannot prove), and uses one uniform per draw.
:math:`F` is computed here to about 1e-14: the range holding the mass is found
on a wide logarithmic scan (to ``1e300``) refined around the mode, then
extended until the density has fallen by :math:`e^{-60}`; it is cut into
cells (uniform, logarithmic towards the support's ends) whose masses come from
24-point Gauss-Legendre rules. A draw picks its cell by the cumulative masses
and solves :math:`\int_a^x p = r` inside it by safeguarded Newton steps
(bisection when a step leaves the bracket), each integral again by
Gauss-Legendre. The density must integrate to 1 (checked to 1e-6: a
``sym_logpdf`` that is not normalised raises ``ValueError``) and carry no
mass beyond the point where it has fallen by :math:`e^{-60}` from its peak
(true for any density with a tail lighter than :math:`x^{-1-10^{-2}}`).

numpy only; no sympy.
"""

from __future__ import annotations

import importlib
from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = ["logpdf", "support", "sample", "CdfTable"]

_GL_T, _GL_W = np.polynomial.legendre.leggauss(24)
# inside one cell (at most 1/4096 of the range, or a factor 2 towards an end) 12 nodes are exact to rounding
_GL12_T, _GL12_W = np.polynomial.legendre.leggauss(12)
_DROP = 60.0  # log-density drop that bounds the range holding the mass
_TABLES: "OrderedDict[tuple[Any, ...], CdfTable]" = OrderedDict()
_MAX_TABLES = 64


def _module(cls: type) -> Any:
    # by name: the printer lives in anadiv.codegen, above this layer
    return importlib.import_module("anadiv.codegen.on_demand").family_module(cls)


def _inner_point(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A point inside each support, where the log-density is evaluated in place of outside points."""
    with np.errstate(invalid="ignore", over="ignore"):
        both = np.isfinite(lo) & np.isfinite(hi)
        return np.where(both, 0.5 * lo + 0.5 * hi, np.where(np.isfinite(lo), lo + 1.0, np.where(np.isfinite(hi), hi - 1.0, 0.0)))


def support(cls: type, *params: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` of ``cls``'s support from its printed ``sym_support``."""
    lo, hi = _module(cls).support(*params)
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def logpdf(cls: type, x: Any, *params: Any) -> np.ndarray:
    """The printed ``sym_logpdf`` of ``cls`` at ``x``, ``-inf`` outside the support."""
    mod = _module(cls)
    x = np.asarray(x)
    lo, hi = mod.support(*params)
    inside = (x >= lo) & (x <= hi)
    safe = np.where(inside, x, _inner_point(np.asarray(lo), np.asarray(hi)).astype(x.dtype, copy=False))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = np.asarray(mod.logpdf(safe, *params))
        return np.where(inside, value, -np.inf).astype(value.dtype, copy=False)


class CdfTable:
    r"""The cdf of one parameter point on cells, and its inverse (see the module's docstring).

    Parameters
    ----------
    logp : callable
        The log-density (``-inf`` outside the support), on arrays.
    lo, hi : float
        The support's ends (may be infinite).
    what : str
        How to name the distribution in errors.

    Examples
    --------
    >>> import numpy as np
    >>> t = CdfTable(lambda x: np.where(x >= 0, -x, -np.inf), 0.0, np.inf, "Exp(1)")
    >>> median = float(t.quantile(np.array([0.5]))[0])  # log 2 for Exp(1)
    >>> abs(median - float(np.log(2.0))) < 1e-14
    True
    """

    def __init__(self, logp: Any, lo: float, hi: float, what: str) -> None:
        self.logp, self.lo, self.hi = logp, float(lo), float(hi)
        left, right, peak = self._range(what)
        self.peak = peak
        edges = self._edges(left, right)
        masses = self._mass(edges[:-1], edges[1:])
        total = float(np.sum(masses)) * np.exp(peak)
        if not (abs(total - 1.0) <= 1e-6):
            raise ValueError(
                f"sym_logpdf: the density of {what} integrates to {total!r} over its support, not 1 "
                "(is the log-density normalised?)"
            )
        self.edges = edges
        self.masses = masses
        self.cum = np.concatenate([[0.0], np.cumsum(masses)])

    # --------------------------------------------------------- the range
    def _logp(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            v = np.asarray(self.logp(np.asarray(x, dtype=float)), dtype=float)
        return np.where(np.isnan(v), -np.inf, v)

    def _scan(self) -> np.ndarray:
        mags = 10.0 ** np.arange(-300.0, 300.25, 0.25)
        lo, hi = self.lo, self.hi
        if np.isfinite(lo) and np.isfinite(hi):
            w = hi - lo
            pts = np.concatenate([lo + w * mags[mags < 1], [lo + 0.5 * w], hi - w * mags[mags < 1]])
        elif np.isfinite(lo):
            pts = lo + mags
        elif np.isfinite(hi):
            pts = hi - mags
        else:
            pts = np.concatenate([-mags[::-1], [0.0], mags])
        pts = np.unique(pts)
        return pts[(pts > lo) & (pts < hi)]

    def _range(self, what: str) -> tuple[float, float, float]:
        pts = self._scan()
        vals = self._logp(pts)
        if not np.any(np.isfinite(vals)):
            raise ValueError(f"sym_logpdf: the density of {what} is zero (or not finite) everywhere on its support")
        # zoom into the best cell of the scan: a narrow peak far from 0 falls between scan points
        for _ in range(40):
            i = int(np.argmax(vals))
            a = pts[max(i - 1, 0)]
            b = pts[min(i + 1, len(pts) - 1)]
            if not b > a:
                break
            fine = np.linspace(a, b, 257)[1:-1]
            fv = self._logp(fine)
            pts = np.concatenate([pts, fine])
            vals = np.concatenate([vals, fv])
            order = np.argsort(pts)
            pts, vals = pts[order], vals[order]
            top = vals.max()
            near = fine[fv >= top - _DROP]
            if near.size >= 32:  # the peak spans many points: resolved
                break
        peak = float(vals.max())
        heavy = pts[vals >= peak - _DROP]
        left, right = float(heavy.min()), float(heavy.max())
        step = max(right - left, abs(left) * 1e-12, abs(right) * 1e-12, 1e-300)
        left = self._walk(left, -step, peak)
        right = self._walk(right, step, peak)
        return left, right, peak

    def _walk(self, x: float, step: float, peak: float) -> float:
        """From ``x`` outwards in doubling steps until the density has fallen by ``e^-60`` or the support ends."""
        end = self.lo if step < 0 else self.hi
        for _ in range(2100):
            nxt = x + step
            if (step < 0 and nxt <= end) or (step > 0 and nxt >= end):
                return end
            if self._logp(np.array([nxt]))[0] < peak - _DROP:
                return nxt
            x, step = nxt, 2.0 * step
        return x

    def _edges(self, left: float, right: float) -> np.ndarray:
        parts = [np.linspace(left, right, 4097)]
        width = right - left
        # logarithmic cells towards a support end inside the range: densities may be singular there
        for end, sign in ((self.lo, 1.0), (self.hi, -1.0)):
            if np.isfinite(end) and abs(end - (left if sign > 0 else right)) <= 1e-300 + 1e-15 * abs(end):
                parts.append(end + sign * width * 2.0 ** -np.arange(1.0, 1075.0))
        scan = self._scan()
        parts.append(scan[(scan > left) & (scan < right)])
        edges = np.unique(np.concatenate(parts))
        return edges[(edges >= left) & (edges <= right)]

    def _mass(self, a: np.ndarray, b: np.ndarray, rule: tuple[np.ndarray, np.ndarray] = (_GL_T, _GL_W)) -> np.ndarray:
        """``int_a^b p / e^peak`` by Gauss-Legendre (24 points unless ``rule`` says otherwise), elementwise."""
        t, w = rule
        half = 0.5 * (b - a)
        nodes = (0.5 * (a + b))[..., None] + half[..., None] * t
        dens = np.exp(self._logp(nodes) - self.peak)
        return half * (dens @ w)

    # ------------------------------------------------------- the inverse
    def quantile(self, u: np.ndarray) -> np.ndarray:
        """:math:`F^{-1}(u)` for ``u`` in [0, 1), elementwise."""
        u = np.asarray(u, dtype=float)
        target = u.ravel() * self.cum[-1]
        i = np.clip(np.searchsorted(self.cum, target, side="right") - 1, 0, len(self.masses) - 1)
        a, b = self.edges[i], self.edges[i + 1]
        r = target - self.cum[i]
        m = self.masses[i]
        x = a + (b - a) * np.clip(np.where(m > 0, r / np.where(m > 0, m, 1.0), 0.5), 0.0, 1.0)
        lo_b, hi_b = a.copy(), b.copy()
        tol = 4.0 * np.finfo(float).eps * self.cum[-1]
        todo = np.arange(x.size)
        for _ in range(100):
            if todo.size == 0:
                break
            xa, xt, rt = a[todo], x[todo], r[todo]
            g = self._mass(xa, xt, (_GL12_T, _GL12_W)) - rt
            d = np.exp(self._logp(xt) - self.peak)
            lo_b[todo] = np.where(g < 0, xt, lo_b[todo])
            hi_b[todo] = np.where(g > 0, xt, hi_b[todo])
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = xt - g / d
            inside = (newton > lo_b[todo]) & (newton < hi_b[todo]) & np.isfinite(newton)
            nxt = np.where(inside, newton, 0.5 * (lo_b[todo] + hi_b[todo]))
            # the target u * total is known to rounding of the total only: a residual
            # below that is as good as zero (iterating further only chases noise)
            done = (
                (np.abs(g) <= tol)
                | (np.abs(nxt - xt) <= 4e-16 * np.abs(xt) + 1e-300)
                | (hi_b[todo] - lo_b[todo] <= 4e-16 * np.abs(xt))
            )
            x[todo] = np.where(inside | ~done, nxt, xt)
            todo = todo[~done]
        return x.reshape(u.shape)


def _table(cls: type, point: tuple[float, ...]) -> CdfTable:
    key = (cls, point)
    table = _TABLES.get(key)
    if table is None:
        lo, hi = support(cls, *point)
        shown = f"{cls.__name__}({', '.join(repr(v) for v in point)})"
        table = CdfTable(lambda x: logpdf(cls, x, *point), float(lo), float(hi), shown)
        _TABLES[key] = table
        if len(_TABLES) > _MAX_TABLES:
            _TABLES.popitem(last=False)
    else:
        _TABLES.move_to_end(key)
    return table


def sample(cls: type, rng: np.random.Generator, size: tuple[int, ...], *params: Any) -> np.ndarray:
    """Draws of shape ``size`` (ending with the parameters' batch shape) by inverting the cdf."""
    arrays = np.broadcast_arrays(*(np.asarray(p, dtype=float) for p in params))
    batch = arrays[0].shape if arrays else ()
    u = rng.random(size)
    out = np.empty(size, dtype=float)
    for idx in np.ndindex(*batch):
        point = tuple(float(a[idx]) for a in arrays)
        where = (Ellipsis, *idx) if idx else (Ellipsis,)
        out[where] = _table(cls, point).quantile(u[where])
    return out


def forget(cls: type) -> None:
    """Drop the cdf tables of ``cls`` (tests, redefinitions)."""
    for key in [k for k in _TABLES if k[0] is cls]:
        del _TABLES[key]
