"""anadiv on PyTorch and JAX arrays, against torch.distributions, on a GPU or the CPU.

Prints the table of docs/benchmarks.md ("PyTorch and JAX"): for each case the
median (and range) over repeats in milliseconds and the ratio to
``torch.distributions`` (or to the case's reference), then the kernels one
Normal-Normal KL launches. On a GPU the times come from CUDA events around each
call; on the CPU from ``time.perf_counter`` (after a synchronisation on a GPU;
``block_until_ready`` for JAX).

Run::

    python benchmarks/bench_gpu.py --device cuda        # 1e8 Normal pairs, 1e7 Gamma and Beta pairs
    python benchmarks/bench_gpu.py --device cpu         # 1e6 of each
    python benchmarks/bench_gpu.py --device cpu --quick # tiny sizes (a smoke run)

Public tools only: torch, jax, numpy (and anadiv).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import platform
import statistics
import sys
import time
from typing import Any, Callable

import numpy as np

import anadiv


@dataclasses.dataclass(frozen=True)
class Sizes:
    normal: int
    gamma: int
    vae: tuple[int, int]
    mvn: tuple[int, int]
    repeat: int


SIZES = {
    "cuda": Sizes(normal=10**8, gamma=10**7, vae=(4096, 256), mvn=(50, 200), repeat=20),
    "cpu": Sizes(normal=10**6, gamma=10**6, vae=(4096, 256), mvn=(50, 200), repeat=10),
    "quick": Sizes(normal=2000, gamma=500, vae=(32, 8), mvn=(3, 6), repeat=3),
}


@dataclasses.dataclass
class Row:
    case: str
    variant: str
    times: list[float] | None  # seconds; None when the variant could not run
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else math.nan


class Timer:
    """Times a torch call: CUDA events on a GPU, ``perf_counter`` on the CPU."""

    def __init__(self, torch: Any, device: str, repeat: int) -> None:
        self.torch, self.device, self.repeat = torch, device, repeat

    def __call__(self, fn: Callable[[], Any]) -> list[float]:
        torch = self.torch
        fn()  # warm-up (and compilation)
        out = []
        for _ in range(self.repeat):
            if self.device == "cuda":
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                torch.cuda.synchronize()
                out.append(start.elapsed_time(end) / 1e3)
            else:
                t0 = time.perf_counter()
                fn()
                out.append(time.perf_counter() - t0)
        return out


def jax_times(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Wall times of a JAX call, waiting for its result (``block_until_ready``)."""
    fn().block_until_ready()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn().block_until_ready()
        out.append(time.perf_counter() - t0)
    return out


def device_name(torch: Any, device: str) -> str:
    if device == "cuda":
        return torch.cuda.get_device_name()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip() + f" ({torch.get_num_threads()} torch threads)"
    except OSError:
        pass
    return platform.processor() or platform.machine()


def attempt(case: str, variant: str, timer: Callable[[Callable[[], Any]], list[float]],
            fn: Callable[[], Any]) -> Row:
    """The row of one variant; a variant that fails (a missing compiler, an API that refuses
    tensors) is reported with its error instead of stopping the run."""
    try:
        return Row(case, variant, timer(fn))
    except Exception as err:  # noqa: BLE001 - the table reports it
        return Row(case, variant, None, f"{type(err).__name__}: {str(err).splitlines()[0][:80] if str(err) else ''}")


def normal_rows(torch: Any, dev: str, dtype: Any, n: int, timer: Any, compile_: bool) -> list[Row]:
    from torch.distributions import Normal, kl_divergence

    case = f"{n:.0e} Normal-Normal KLs, {str(dtype).replace('torch.', '')}"
    g = torch.Generator(device=dev).manual_seed(0)
    mu1, mu2 = (torch.randn(n, dtype=dtype, device=dev, generator=g) for _ in range(2))
    s1, s2 = (torch.rand(n, dtype=dtype, device=dev, generator=g) + 0.5 for _ in range(2))
    f = anadiv.kl_function("normal", "normal")
    rows = [
        attempt(case, "torch.distributions", timer, lambda: kl_divergence(
            Normal(mu1, s1, validate_args=False), Normal(mu2, s2, validate_args=False))),
        attempt(case, "anadiv eager", timer, lambda: f(mu1, s1, mu2, s2)),
    ]
    if compile_:
        fused = anadiv.kl_function("normal", "normal", compile="torch")
        rows.append(attempt(case, "anadiv compiled (torch.compile)", timer, lambda: fused(mu1, s1, mu2, s2)))
        floor = torch.compile(lambda a, b, c, d: a + b + c + d)
        rows.append(attempt(case, "bandwidth floor: read 4 arrays, write 1 (compiled)", timer,
                            lambda: floor(mu1, s1, mu2, s2)))
    return rows


def shape_rows(torch: Any, dev: str, family: str, n: int, timer: Any) -> list[Row]:
    from torch.distributions import Beta, Gamma, kl_divergence

    case = f"{n:.0e} {family.capitalize()}-{family.capitalize()} KLs, float64"
    g = torch.Generator(device=dev).manual_seed(1)
    a1, b1, a2, b2 = (torch.rand(n, dtype=torch.float64, device=dev, generator=g) * 5 + 0.5 for _ in range(4))
    cls = Gamma if family == "gamma" else Beta
    f = anadiv.kl_function(family, family)
    return [
        attempt(case, "torch.distributions", timer, lambda: kl_divergence(
            cls(a1, b1, validate_args=False), cls(a2, b2, validate_args=False))),
        attempt(case, "anadiv eager", timer, lambda: f(a1, b1, a2, b2)),
    ]


def vae_rows(torch: Any, dev: str, shape: tuple[int, int], timer: Any, compile_: bool) -> list[Row]:
    from torch.distributions import Independent, Normal, kl_divergence

    case = f"VAE term {shape[0]} x {shape[1]}, forward + backward, float32"
    g = torch.Generator(device=dev).manual_seed(2)
    mu = torch.randn(shape, device=dev, generator=g).requires_grad_()
    log_sigma = (0.3 * torch.randn(shape, device=dev, generator=g)).requires_grad_()
    zeros = torch.zeros(shape[1], device=dev)
    ones = torch.ones(shape[1], device=dev)
    f = anadiv.kl_function("diagonal_normal", "diagonal_normal")

    def step(kl: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            mu.grad = log_sigma.grad = None
            loss = kl(log_sigma.exp()).mean()
            loss.backward()
            return loss
        return run

    def with_families(sigma: Any) -> Any:
        return anadiv.kl(anadiv.DiagonalNormal(mu, sigma), anadiv.DiagonalNormal(zeros, ones))

    rows = [
        attempt(case, "torch.distributions", timer, step(lambda s: kl_divergence(
            Independent(Normal(mu, s, validate_args=False), 1), Independent(Normal(zeros, ones, validate_args=False), 1)))),
        attempt(case, "hand-written formula", timer, step(lambda s: (0.5 * (mu * mu + s * s - 1.0) - s.log()).sum(-1))),
        attempt(case, "anadiv kl_function on tensors", timer, step(lambda s: f(mu, s, zeros, ones))),
        attempt(case, "anadiv.kl on families", timer, step(with_families)),
    ]
    if compile_:
        fused = anadiv.kl_function("diagonal_normal", "diagonal_normal", compile="torch")
        rows.append(attempt(case, "anadiv compiled (torch.compile)", timer, step(lambda s: fused(mu, s, zeros, ones))))
    return rows


def mvn_rows(torch: Any, dev: str, size: tuple[int, int], timer: Any) -> list[Row]:
    from torch.distributions import MultivariateNormal, kl_divergence

    pairs, d = size
    case = f"{pairs} MultivariateNormal pairs, d = {d}, float64"
    g = torch.Generator(device=dev).manual_seed(3)

    def cov() -> Any:
        a = torch.randn(pairs, d, d, dtype=torch.float64, device=dev, generator=g)
        return a @ a.transpose(-1, -2) / d + torch.eye(d, dtype=torch.float64, device=dev)

    m1, m2 = (torch.randn(pairs, d, dtype=torch.float64, device=dev, generator=g) for _ in range(2))
    c1, c2 = cov(), cov()
    f = anadiv.kl_function("multivariate_normal", "multivariate_normal")
    return [
        attempt(case, "torch.distributions", timer, lambda: kl_divergence(
            MultivariateNormal(m1, c1, validate_args=False), MultivariateNormal(m2, c2, validate_args=False))),
        attempt(case, "anadiv eager", timer, lambda: f(m1, c1, m2, c2)),
    ]


def jax_rows(dev: str, sizes: Sizes) -> list[Row]:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return [Row("JAX", "jax not installed", None)]
    platform_ = "gpu" if dev == "cuda" else "cpu"
    try:
        device = jax.devices(platform_)[0]
    except RuntimeError as err:
        return [Row("JAX", f"no {platform_} device", None, str(err).splitlines()[0][:80])]
    rng = np.random.default_rng(4)
    rows = []
    n = sizes.normal
    case = f"JAX jit, {n:.0e} Normal-Normal KLs, float32"
    mu1, mu2 = (jax.device_put(rng.standard_normal(n, dtype=np.float32), device) for _ in range(2))
    s1, s2 = (jax.device_put(rng.random(n, dtype=np.float32) + 0.5, device) for _ in range(2))
    naive = jax.jit(lambda m1, a, m2, b: jnp.log(b / a) + (a * a + (m1 - m2) ** 2) / (2 * b * b) - 0.5)
    fused = anadiv.kl_function("normal", "normal", compile="jax")
    for variant, fn in (("naive formula, jit", naive), ("anadiv, jit", fused)):
        rows.append(attempt(case, variant, lambda call: jax_times(call, sizes.repeat),
                            lambda fn=fn: fn(mu1, s1, mu2, s2)))
    n = sizes.gamma
    case = f"JAX jit, {n:.0e} Gamma-Gamma KLs, float32"
    a1, b1, a2, b2 = (jax.device_put((rng.random(n, dtype=np.float32) * 5 + 0.5), device) for _ in range(4))
    gamma = anadiv.kl_function("gamma", "gamma", compile="jax")
    rows.append(attempt(case, "anadiv, jit", lambda call: jax_times(call, sizes.repeat),
                        lambda: gamma(a1, b1, a2, b2)))
    return rows


def kernel_counts(torch: Any, dev: str, compile_: bool) -> list[tuple[str, int | str]]:
    """Kernels launched by one Normal-Normal KL of 1e4 pairs: CUDA kernels on a GPU (float32), the
    aten operations that compute on the CPU (float64, so that no cast hides among the conversions of
    Python numbers; allocations and views left out), a compiled graph's fused code counting one."""
    from torch.distributions import Normal, kl_divergence
    from torch.profiler import ProfilerActivity, profile

    n = 10**4
    dtype = torch.float32 if dev == "cuda" else torch.float64
    mu1, mu2 = (torch.randn(n, device=dev, dtype=dtype) for _ in range(2))
    s1, s2 = (torch.rand(n, device=dev, dtype=dtype) + 0.5 for _ in range(2))
    f = anadiv.kl_function("normal", "normal")
    variants: list[tuple[str, Callable[[], Any]]] = [
        ("torch.distributions", lambda: kl_divergence(Normal(mu1, s1, validate_args=False),
                                                      Normal(mu2, s2, validate_args=False))),
        ("anadiv eager", lambda: f(mu1, s1, mu2, s2)),
    ]
    if compile_:
        fused = anadiv.kl_function("normal", "normal", compile="torch")
        variants.append(("anadiv compiled", lambda: fused(mu1, s1, mu2, s2)))
    out: list[tuple[str, int | str]] = []
    not_compute = {"aten::empty", "aten::to", "aten::lift_fresh", "aten::detach", "aten::is_nonzero",
                   "aten::expand", "aten::view", "aten::_to_copy", "aten::item", "aten::_local_scalar_dense",
                   "aten::resolve_conj", "aten::resolve_neg", "aten::empty_strided", "aten::reshape",
                   "aten::as_strided", "aten::alias", "aten::lift_fresh_copy", "aten::copy_", "aten::stack"}
    for name, fn in variants:
        try:
            fn()
            activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev == "cuda" else [])
            with profile(activities=activities) as prof:
                fn()
                if dev == "cuda":
                    torch.cuda.synchronize()
            events = list(prof.events())
            if dev == "cuda":
                count = sum(1 for e in events if str(e.device_type).endswith("CUDA") and "memcpy" not in e.name.lower()
                            and "memset" not in e.name.lower())
            else:
                count = sum(1 for e in events if e.name.startswith("aten::") and e.name not in not_compute
                            and (e.cpu_parent is None or not e.cpu_parent.name.startswith("aten::")))
                # a compiled graph runs as one call of inductor's fused C++ code
                count += sum(1 for e in events if "CompiledFxGraph" in e.name)
            out.append((name, count))
        except Exception as err:  # noqa: BLE001
            out.append((name, f"{type(err).__name__}"))
    return out


def format_table(rows: list[Row]) -> list[str]:
    lines = ["| case | variant | median ms (range) | ratio to torch / reference |", "|---|---|---|---|"]
    reference: dict[str, float] = {}
    for r in rows:
        if r.times and r.variant in ("torch.distributions", "naive formula, jit"):
            reference[r.case] = r.median
    for r in rows:
        if not r.times:
            lines.append(f"| {r.case} | {r.variant} | not run: {r.note} | |")
            continue
        ms = [t * 1e3 for t in r.times]
        ref = reference.get(r.case)
        ratio = f"{r.median / ref:.2f}x" if ref else ""
        lines.append(f"| {r.case} | {r.variant} | {statistics.median(ms):.3g} ({min(ms):.3g} .. {max(ms):.3g}) | {ratio} |")
    return lines


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 3 repeats (a smoke run)")
    parser.add_argument("--no-compile", action="store_true",
                        help="leave out the torch.compile rows (compilation takes seconds)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)

    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is visible to torch (use --device cpu)")
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = SIZES["quick" if args.quick else args.device]
    dev = args.device
    compile_ = not args.no_compile
    timer = Timer(torch, dev, sizes.repeat)

    versions = f"torch {torch.__version__}, numpy {np.__version__}, anadiv {anadiv.__version__}"
    try:
        import jax

        versions += f", jax {jax.__version__}"
    except ImportError:
        pass
    lines = [f"device: {device_name(torch, dev)}", f"python {platform.python_version()}, {versions}", ""]
    rows: list[Row] = []
    for dtype in (torch.float32, torch.float64):
        rows += normal_rows(torch, dev, dtype, sizes.normal, timer, compile_)
    rows += shape_rows(torch, dev, "gamma", sizes.gamma, timer)
    rows += shape_rows(torch, dev, "beta", sizes.gamma, timer)
    rows += vae_rows(torch, dev, sizes.vae, timer, compile_)
    rows += mvn_rows(torch, dev, sizes.mvn, timer)
    rows += jax_rows(dev, sizes)
    lines += format_table(rows)
    lines += ["", "| kernels launched by one Normal-Normal KL | count |", "|---|---|"]
    lines += [f"| {name} | {count} |" for name, count in kernel_counts(torch, dev, compile_)]
    print("\n".join(lines))
    sys.stdout.flush()
    return lines


if __name__ == "__main__":
    main()
