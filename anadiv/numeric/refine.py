r"""Check a generated closed form's float result and recompute the doubtful elements exactly.

Every generated univariate closed form ends with ``xp._refine.checked(kind, value,
scale, exact, *params)``. ``value`` is the float result of the stabilized
expression; ``scale`` is the sum of the absolute values of the terms that
``value`` adds up (``None`` when every term is nonnegative, so no cancellation is
possible). An element is *doubtful* when

* it is NaN, or infinite (a finite true value may have overflowed in an
  intermediate term, ``inf - inf``, ``0 * inf``);
* for a KL divergence, it is negative (a KL never is) or zero while the terms are not;
* the terms cancel: ``scale > C * |value|``, so the rounding errors of the
  terms, a few units in the last place of ``scale`` each, could exceed the
  accuracy promised (relative 1e-12 in float64, 1e-5 in float32). ``C`` is
  :data:`CANCELLATION`.

Doubtful elements are recomputed from the *derived* expression (the same one
the tests take as the truth) with mpmath at increasing precision, 34, 68, 136,
... digits, until two precisions agree to 2^-64 relative; the result is
rounded once to the input's float type (``inf`` beyond its range; a KL is
never below 0). mpmath works with unbounded exponents, so terms that overflow
in floating point do not there. This is slow (about 0.1-5 ms an element) but
only the doubtful elements take it: typical inputs never do.

The module imports mpmath on the first doubtful element only.
"""

from __future__ import annotations

import ctypes
import math
import threading
from typing import Any, Callable, TypeVar

import numpy as np

__all__ = ["checked", "event_ndims", "with_event_ndim", "exact_value", "rule", "register_rule", "CANCELLATION", "MP"]

#: Largest tolerated ratio sum|terms| / |value|, by float type. float64: a
#: few ulps of error on each term times 256 stays below 1e-12 relative;
#: float32: times 8 stays below 1e-5.
CANCELLATION: dict[Any, float] = {np.dtype(np.float64): 256.0, np.dtype(np.float32): 8.0}
_C64 = CANCELLATION[np.dtype(np.float64)]
_DEFAULT_C = 256.0
#: Seconds one element's exact evaluation may take; past it the element keeps its float
#: result (mpmath can take minutes on e.g. x**y with y ~ 1e259 at hundreds of digits).
TIME_BUDGET = 60.0
#: Digits of the first precision :func:`exact_value` tries for parameters near 1.
_DPS = (34,)
#: Serializes exact evaluations: mpmath's precision is process-wide (see :func:`exact_value`).
_MPMATH_LOCK = threading.Lock()


def _limit(dtype: Any) -> float:
    return CANCELLATION.get(dtype, _DEFAULT_C)


def register_rule(kind: str, nonnegative: bool, infinite_from_supports: bool) -> None:
    """Declare how the check judges a kind's values (called by :mod:`anadiv.kinds` for each kind).

    ``nonnegative``: a negative value is wrong (a KL); ``infinite_from_supports``:
    ``inf`` with a zero cancellation scale is the supports' verdict, not an overflow.
    """
    _RULES[kind] = (bool(nonnegative), bool(infinite_from_supports))


def rule(kind: str) -> tuple[bool, bool]:
    """``(nonnegative, infinite_from_supports)`` of a kind, as the check reads them."""
    found = _RULES.get(kind)
    if found is None:
        # the kinds register their rules when anadiv.kinds is imported, which the
        # generated package does before any of its functions can run
        raise ValueError(f"kind: no divergence kind {kind!r} is registered with the result check")
    return found


_RULES: dict[str, tuple[bool, bool]] = {}


def _scalar_ok(kind: str, v: float, s: float | None, c: float) -> bool:
    if 0.0 <= v < math.inf:
        # finite and not negative: in range for every kind, so the common call
        # needs no look-up of the kind
        return s is None or s <= c * v
    nonnegative, from_supports = _RULES.get(kind) or rule(kind)
    if v == math.inf:
        return s == 0.0 and from_supports  # infinite because the supports say so
    if nonnegative or not v > -math.inf:  # negative for a kind that never is, -inf or NaN
        return False
    return s is None or s <= c * -v


def _bad_mask(kind: str, v: np.ndarray, s: Any, c: float) -> np.ndarray | None:
    """Mask of doubtful elements, or None when there are none (the fast path)."""
    if v.size == 0:
        return None
    nonnegative, from_supports = rule(kind)
    lo, hi = v.min(), v.max()  # NaN propagates into both
    finite = (lo >= 0 if nonnegative else lo > -math.inf) and hi < math.inf
    if finite and s is None:
        return None
    if finite and np.all(s <= c * np.abs(v)):
        return None
    with np.errstate(invalid="ignore"):
        bad = ~((v >= 0) & (v < math.inf)) if nonnegative else ~np.isfinite(v)
        if s is not None:
            bad |= ~(s <= c * np.abs(v))
            if from_supports:
                bad &= ~((v == math.inf) & (s == 0))  # infinite because the supports say so
    return bad


def checked(kind: str, value: Any, scale: Any, exact: Callable[..., Any], *params: Any) -> Any:
    """``value`` with its doubtful elements recomputed by :func:`exact_value`.

    Parameters
    ----------
    kind : str
        Name of a divergence kind in :data:`anadiv.kinds.KINDS` (a KL is never
        negative; only a kind with ``infinite_from_supports`` may be ``inf``).
    value : float or ndarray
        The float result of the generated expression.
    scale : float, ndarray or None
        ``sum |term|`` over the terms ``value`` adds up; ``None`` if no
        cancellation is possible.
    exact : callable
        ``exact(mpmath, *params)``: the derived expression written for mpmath.
    *params
        The function's parameters, broadcasting to ``value``'s shape. A vector
        parameter (a Dirichlet's concentration) has one more axis, its
        coordinates, when ``exact.event_ndim`` says so: one number per
        parameter, 1 for such a one, 0 for a scalar (the default for all).
        ``exact`` then receives that parameter as a list of mpmath numbers.

    Examples
    --------
    >>> import math
    >>> f = lambda mp, x: mp.log(x) - mp.log(x + 1e-12)
    >>> checked("cross_entropy", math.nan, None, f, 1.0)  # doctest: +ELLIPSIS
    -9.99...e-13
    """
    if (type(value) is np.float64 or type(value) is float) and _scalar_ok(kind, value, scale, _C64):
        return value  # the common scalar call: no conversions on the way
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        v = float(value)
        s = None if scale is None else float(scale)
        dtype = np.result_type(value)
        if _scalar_ok(kind, v, s, _limit(dtype)):
            return value
        events = event_ndims(exact, len(params))
        floats = [float(np.asarray(p)) if e == 0 else [float(x) for x in np.ravel(p)] for p, e in zip(params, events)]
        if not all(map(math.isfinite, _flat(floats))):
            return value
        exact_out = exact_value(exact, floats, kind)
        if math.isnan(exact_out):
            return value  # the exact form failed too: the float result is all there is
        if isinstance(value, float):
            return exact_out
        with np.errstate(over="ignore"):
            return np.asarray(exact_out, dtype=dtype) if isinstance(value, np.ndarray) else dtype.type(exact_out)
    bad = _bad_mask(kind, value, scale, _limit(value.dtype))
    if bad is None or not bad.any():
        return value
    events = event_ndims(exact, len(params))
    args = [_broadcast_param(p, value.shape, e) for p, e in zip(params, events)]
    for a, e in zip(args, events):
        # a NaN or infinite parameter is not a valid one: its element keeps the float result
        bad &= np.isfinite(a) if e == 0 else np.isfinite(a).all(axis=tuple(range(-e, 0)))
    if not bad.any():
        return value
    out = value.copy() if any(value is p for p in params) else value
    # a batch often repeats its parameter points (a scalar Q broadcast against P,
    # a table of cases): each distinct point is evaluated once
    columns = [a[bad].reshape(int(bad.sum()), -1) for a in args]
    sizes = [c.shape[1] for c in columns]
    distinct, where = np.unique(np.concatenate(columns, axis=1), axis=0, return_inverse=True)
    exact_points = np.array([exact_value(exact, _unflatten(row, sizes, events), kind) for row in distinct])
    fixed = exact_points[where.reshape(-1)]
    keep = np.isnan(fixed)  # the exact form failed too: keep the float result
    with np.errstate(over="ignore"):
        out[bad] = np.where(keep, out[bad], fixed)
    return out


_F = TypeVar("_F", bound=Callable[..., Any])


def with_event_ndim(*event_ndim: int) -> Callable[[_F], _F]:
    """Mark an exact form's parameters with their coordinate axes (1: a vector, 0: a scalar).

    The generated code decorates the exact form of a closed form over vector
    parameters (a Dirichlet's concentration) with it; :func:`checked` then
    hands it each such parameter as a list of mpmath numbers (read back by
    :func:`event_ndims`).

    Examples
    --------
    >>> @with_event_ndim(1, 0)
    ... def exact(mpmath, alpha, t):
    ...     return mpmath.fsum(alpha) * t
    >>> event_ndims(exact, 2)
    (1, 0)
    """

    def mark(exact: _F) -> _F:
        # a function attribute: setattr, since a function's type declares none
        setattr(exact, "event_ndim", event_ndim)
        return exact

    return mark


def event_ndims(exact: Callable[..., Any], count: int) -> tuple[int, ...]:
    """Per parameter of ``exact``, its coordinate axes (``exact.event_ndim``; 0 each by default)."""
    events = getattr(exact, "event_ndim", None)
    return (0,) * count if events is None else tuple(events)


def _broadcast_param(p: Any, shape: tuple[int, ...], event_ndim: int) -> np.ndarray:
    p = np.asarray(p)
    return np.broadcast_to(p, shape + (p.shape[p.ndim - event_ndim:] if event_ndim else ()))


def _flat(params: list[Any]) -> list[float]:
    return [x for p in params for x in (p if isinstance(p, list) else [p])]


def _unflatten(row: np.ndarray, sizes: list[int], events: tuple[int, ...]) -> list[Any]:
    """One distinct point's parameters: a float per scalar one, a list of floats per vector one."""
    out: list[Any] = []
    start = 0
    for size, e in zip(sizes, events):
        chunk = [float(x) for x in row[start:start + size]]
        out.append(chunk if e else chunk[0])
        start += size
    return out


def defined(value: Any, message: str, *params: Any) -> Any:
    """``value``, unless an element with finite parameters is NaN: there the closed form has no value.

    A derivation that holds only on part of the parameter space (a Binomial
    pair's KL where the trial counts are equal or P's exceeds Q's) is NaN on
    the rest; the generated function ends with this check, so that such an
    element raises instead of coming back as a silent NaN.

    Raises
    ------
    NoClosedFormError
        ``message`` (which names the function, the region and what to use
        instead), with the number of such elements.

    Examples
    --------
    >>> defined(1.5, "f: no closed form where a < b", 1.0)
    1.5
    >>> defined(float("nan"), "f: no closed form where a < b", 1.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    anadiv.errors.NoClosedFormError: f: no closed form where a < b (1 of 1 elements)
    """
    v = np.asarray(value)
    bad = np.isnan(v)
    if not bad.any():
        return value
    for p in params:
        # a NaN or infinite parameter is not a valid one: its NaN is the float result's
        bad &= np.isfinite(np.broadcast_to(np.asarray(p), v.shape))
    if bad.any():
        from ..errors import NoClosedFormError

        raise NoClosedFormError(f"{message} ({int(bad.sum())} of {bad.size} elements)")
    return value


def exact_value(exact: Callable[..., Any], params: list[Any], kind: str) -> float:
    """The derived expression at ``params`` (floats; a list of floats for a vector parameter), rounded to float64.

    Evaluated with mpmath at increasing precision (:func:`_precisions`) until
    two precisions agree to 2^-64 relative (cancellation in the expression
    costs digits, so a fixed precision is not enough at extreme parameters). A KL is clamped at 0
    (a true zero leaves a residue of the last precision's size, of either sign).
    NaN when the evaluation fails or runs past :data:`TIME_BUDGET` seconds (the
    caller then keeps the float result).
    """
    # mpmath's working precision is one global context: two threads (the block pool, Dask's
    # scheduler) evaluating at once would each run at the other's precision, and two too-low
    # precisions can agree on a wrong value (a Kumaraswamy cross-entropy came out 0.0 in one
    # Dask chunk of three). mpmath is pure Python under the GIL, so one at a time loses little.
    with _MPMATH_LOCK, _Deadline(TIME_BUDGET):
        try:
            return _settle(exact, params, kind)
        except _OutOfTime:
            return math.nan
    return math.nan  # the deadline struck while the result was being returned


class _OutOfTime(Exception):
    pass


class _Deadline:
    """Raise :class:`_OutOfTime` in this thread once ``seconds`` have passed.

    A timer thread hands the exception to the working thread through
    ``PyThreadState_SetAsyncExc``; the interpreter raises it between bytecodes, so
    mpmath's pure-Python loops stop (one long C-level integer operation finishes
    first). Unlike a trace function, it costs nothing while the work runs (a
    ``sys.settrace`` hook made every element 3x slower and displaced debuggers and
    coverage tools).
    """

    def __init__(self, seconds: float) -> None:
        self.thread_id = threading.get_ident()
        self.lock = threading.Lock()
        self.armed = True
        self.fired = False
        self.timer = threading.Timer(seconds, self._fire)
        self.timer.daemon = True

    def __enter__(self) -> "_Deadline":
        self.timer.start()
        return self

    def _fire(self) -> None:
        with self.lock:
            if self.armed:
                self.fired = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread_id), ctypes.py_object(_OutOfTime))

    def disarm(self) -> None:
        with self.lock:
            self.armed = False
            if self.fired:
                # not raised yet (or raised and being handled): withdraw it
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self.thread_id), None)
        self.timer.cancel()

    def __exit__(self, *exc: Any) -> bool:
        self.disarm()
        # an exception delivered after the work finished is swallowed here
        return exc[0] is _OutOfTime


def _settle(exact: Callable[..., Any], params: list[float], kind: str) -> float:
    import mpmath

    prev = None
    value = mpmath.nan
    for dps in _precisions(params):
        with mpmath.workdps(dps):
            try:
                value = exact(MP, *[[mpmath.mpf(x) for x in p] if isinstance(p, list) else mpmath.mpf(p)
                                    for p in params])
            except (ZeroDivisionError, ValueError, OverflowError, MemoryError, mpmath.libmp.NoConvergence):
                value = mpmath.nan
            value = _real(value, dps)
            if prev is not None and _agree(value, prev):
                break
            prev = value
    out = _to_float(value)
    if rule(kind)[0] and not out >= 0 and not math.isnan(out):
        out = 0.0
    return out


def _precisions(params: list[float]) -> tuple[int, ...]:
    """Digits to try: enough from the start for the parameters' magnitudes.

    Two precisions that both round ``a + b`` to ``b`` (``a = 1e-70``, ``b = 1e275``)
    agree on the same wrong value, so agreement proves nothing until the working
    precision spans every parameter's digits: the first precision covers the
    larger of ``max |log10 p|`` (cancellation in ``x psi(x) - log Gamma(x)``
    grows like ``log10 x``) and the spread between the smallest and largest ``|p|``.
    """
    logs = [math.log10(abs(p)) for p in _flat(params) if p != 0 and math.isfinite(p)]
    extra = max(max(map(abs, logs)), max(logs) - min(logs)) if logs else 0.0
    first = _DPS[0] + int(math.ceil(extra))
    return (first, 2 * first, 4 * first)


def _real(value: Any, dps: int) -> Any:
    import mpmath

    if isinstance(value, mpmath.mpc):
        if abs(value.imag) <= abs(value.real) * mpmath.mpf(10) ** (-dps // 2):
            return value.real
        return mpmath.nan
    return mpmath.mpf(value)


def _agree(a: Any, b: Any) -> bool:
    import mpmath

    if mpmath.isnan(a) or mpmath.isnan(b):
        return False
    if mpmath.isinf(a) or mpmath.isinf(b):
        return a == b
    if a == b:
        return True
    big = mpmath.mpf(np.finfo(np.float64).max)
    if abs(a) > big and abs(b) > big and mpmath.sign(a) == mpmath.sign(b):
        return True  # both round to the same infinity
    return abs(a - b) <= abs(a) * mpmath.mpf(2) ** -64


def _to_float(value: Any) -> float:
    import mpmath

    if mpmath.isnan(value):
        return math.nan
    if mpmath.isinf(value) or abs(value) > mpmath.mpf(np.finfo(np.float64).max):
        return math.copysign(math.inf, float(mpmath.sign(value)))
    return float(value)


class _MP:
    """mpmath, plus the functions the exact forms need that mpmath lacks or is slow at.

    The exact forms are called as ``exact(MP, *params)`` and use ``mpmath.<name>``
    on it; attributes other than the ones below come from mpmath itself.
    """

    def __getattr__(self, item: str) -> Any:
        import mpmath

        return getattr(mpmath, item)

    # mpmath's gamma-function routines shift a full-precision argument below 1
    # up to the asymptotic range one step at a time: seconds at 600 digits for
    # x = 1e-300. Near 0 the Taylor series of log Gamma(x) + log x, whose
    # coefficients are zeta values, needs dps / -log10(x) terms instead.
    @staticmethod
    def loggamma(x: Any) -> Any:
        import mpmath

        if 0 < x < _tiny_limit():
            return -mpmath.log(x) + _lgamma1p_series(x, 0)
        if abs(x - 1) < _tiny_limit():
            return _lgamma1p_series(x - 1, 0)
        return mpmath.loggamma(x)

    @staticmethod
    def gamma(x: Any) -> Any:
        import mpmath

        if 0 < x < _tiny_limit() or abs(x - 1) < _tiny_limit():
            return mpmath.exp(MP.loggamma(x))
        return mpmath.gamma(x)

    @staticmethod
    def polygamma(n: Any, x: Any) -> Any:
        import mpmath

        if n in (0, 1) and 0 < x < _tiny_limit():
            pole = -1 / x if n == 0 else 1 / x**2
            return pole + _lgamma1p_series(x, int(n) + 1)
        if n in (0, 1) and abs(x - 1) < _tiny_limit():
            return _lgamma1p_series(x - 1, int(n) + 1)
        return mpmath.polygamma(n, x)

    # mpmath's e^x is exact and fast (milliseconds) up to |x| ~ 1e1000, so e^(2 mu)
    # against e^mu with mu = 1e300 stays an ordinary difference. Beyond 2^4096 (an
    # exponential of an exponential: no product or ratio of floats is that large)
    # mpmath would reduce x modulo log 2 at x's own size (1e7 digits for
    # x = 10^(10^7)) and not return; e^x is 0 or infinite there to every digit kept.
    @staticmethod
    def exp(x: Any) -> Any:
        import mpmath

        if abs(x) > _ASTRONOMICAL:
            return mpmath.mpf(0) if x < 0 else mpmath.inf
        return mpmath.exp(x)

    @staticmethod
    def power(x: Any, y: Any) -> Any:
        """``x**y``; where ``|y log x|`` is beyond 2^4096 it is :meth:`exp`'s stand-in."""
        import mpmath

        if x > 0 and abs(y) > _HUGE:
            t = y * mpmath.log(x)
            if abs(t) > _ASTRONOMICAL:
                return MP.exp(t)
        return mpmath.power(x, y)

    @staticmethod
    def gammainc(z: Any, a: Any = 0, b: Any = None) -> Any:
        """Incomplete gamma; an end beyond 2^64 (and past the peak at ``z``) is infinite to every digit kept."""
        import mpmath

        if b is not None and b > _HUGE and z < b / 2:
            b = mpmath.inf
        if a > _HUGE and z < a / 2:
            return mpmath.mpf(0)
        return mpmath.gammainc(z, a, b)

    @staticmethod
    def xlogy(x: Any, y: Any) -> Any:
        """``x log y``, 0 where ``x = 0`` (a probability entry of 0 contributes nothing, even where ``y = 0``)."""
        import mpmath

        return mpmath.mpf(0) if x == 0 else x * mpmath.log(y)

    @staticmethod
    def ei(x: Any) -> Any:
        """Exponential integral; below ``-10 prec`` its value ``~ e^x / x`` is under every
        digit kept (mpmath would try to expand ``e^x`` at ``x = -e^(8e7)`` and not return)."""
        import mpmath

        if x < -10 * mpmath.mp.prec:
            return mpmath.mpf(0)
        return mpmath.ei(x)

    @staticmethod
    def erfcx(x: Any) -> Any:
        """Scaled complementary error function ``e^(x^2) erfc(x)``.

        mpmath has no erfcx, and its erfc fails (OverflowError) beyond
        ``x ~ 1e154``; past ``x = 1e8`` the asymptotic series
        ``1/(x sqrt(pi)) sum_n (-1)^n (2n-1)!! / (2x^2)^n`` converges at least
        16 digits per term.
        """
        import mpmath

        if x < -_ERFCX_ASYMPTOTIC:
            return 2 * MP.exp(x * x) - MP.erfcx(-x)
        if x <= _ERFCX_ASYMPTOTIC:
            return mpmath.exp(x * x) * mpmath.erfc(x)
        inv = 1 / (2 * x * x)
        term, total, n = mpmath.mpf(1), mpmath.mpf(1), 0
        eps = mpmath.eps
        while abs(term) > eps:
            n += 1
            term *= -(2 * n - 1) * inv
            total += term
        return total / (x * mpmath.sqrt(mpmath.pi))

    @staticmethod
    def betainc_reg(a: Any, b: Any, x1: Any, x2: Any) -> Any:
        """Regularized incomplete beta ``I_{x2}(a, b) - I_{x1}(a, b)``."""
        return _ibeta(a, b, x2) - _ibeta(a, b, x1)


#: Arguments beyond this are infinite to every digit the exact forms keep.
_HUGE = 2.0**64
#: erfcx switches to its asymptotic series beyond this.
_ERFCX_ASYMPTOTIC = 1e8
#: Exponents beyond this only arise from an exponential of an exponential.
_ASTRONOMICAL = 2**4096

#: The namespace :func:`exact_value` passes to the exact forms.
MP = _MP()


def _tiny_limit() -> Any:
    """Arguments below this take the series (at most ~20 terms at the working precision)."""
    import mpmath

    return mpmath.mpf(10) ** (-max(3, mpmath.mp.dps // 20))


def _lgamma1p_series(x: Any, derivative: int) -> Any:
    r"""The ``derivative``-th derivative of :math:`\log\Gamma(1 + x)` at small ``x``.

    :math:`\log\Gamma(1+x) = -\gamma x + \sum_{k\ge2} (-1)^k \zeta(k) x^k / k`.
    """
    import mpmath

    eps = mpmath.mpf(2) ** (-mpmath.mp.prec - 4)
    if derivative == 0:
        total, k = -mpmath.euler * x, 2
    elif derivative == 1:
        total, k = -mpmath.euler, 2
    else:
        total, k = mpmath.mpf(0), 2
    while True:
        # d^j/dx^j of x^k / k is (k-1)!/(k-j)! x^(k-j) for j <= k
        coef = mpmath.zeta(k) * (-1) ** k
        if derivative == 0:
            term = coef * x**k / k
        elif derivative == 1:
            term = coef * x ** (k - 1)
        else:
            term = coef * (k - 1) * x ** (k - 2)
        total += term
        if abs(term) <= eps * abs(total) and k > 2:
            return total
        k += 1


def _ibeta(a: Any, b: Any, x: Any) -> Any:
    """``I_x(a, b)`` by its continued fraction (Lentz), in the current mpmath precision.

    The fraction converges in O(sqrt(max(a, b))) steps for ``x < (a+1)/(a+b+2)``;
    above that point the symmetry ``I_x(a, b) = 1 - I_{1-x}(b, a)`` is used.
    """
    import mpmath

    if x <= 0:
        return mpmath.mpf(0)
    if x >= 1:
        return mpmath.mpf(1)
    if x > (a + 1) / (a + b + 2):
        return 1 - _ibeta(b, a, 1 - x)
    log_front = a * mpmath.log(x) + b * mpmath.log1p(-x) - mpmath.log(a) - mpmath.log(mpmath.beta(a, b))
    eps = mpmath.mpf(2) ** (-mpmath.mp.prec - 8)
    tiny = mpmath.mpf(2) ** (-4 * mpmath.mp.prec)

    def nz(v: Any) -> Any:
        return tiny if abs(v) < tiny else v

    c = mpmath.mpf(1)
    d = 1 / nz(1 - (a + b) * x / (a + 1))
    h = d
    m = 0
    while True:
        m += 1
        m2 = 2 * m
        num = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
        d = 1 / nz(1 + num * d)
        c = nz(1 + num / c)
        h *= d * c
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
        d = 1 / nz(1 + num * d)
        c = nz(1 + num / c)
        step = d * c
        h *= step
        if abs(step - 1) < eps or m > 100_000:
            break
    return mpmath.exp(log_front) * h
