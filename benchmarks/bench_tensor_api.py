"""The VAE KL term through ``anadiv.kl`` on torch tensors, against ``torch.distributions.kl_divergence``.

The term of a VAE loss: ``KL(Independent(Normal(mu, sigma), 1) || Independent(Normal(0, 1), 1))``
for a batch of ``4096 x 256`` float32 posteriors, forward and backward, on the CPU with 2
threads. Each round times, interleaved (drift on a shared machine hits all alike):

* ``torch``: ``torch.distributions.kl_divergence`` on torch objects (the reference);
* ``anadiv(torch objects)``: ``anadiv.kl`` on the same torch objects (the one-line swap);
* ``anadiv(Independent)``: ``anadiv.kl`` on ``anadiv.Independent(anadiv.Normal(mu, sigma), 1)``
  holding the tensors (validated on construction: one pass over each tensor);
* ``anadiv(DiagonalNormal)``: the same as ``anadiv.DiagonalNormal(mu, sigma)``;
* ``generated``: anadiv's generated Normal-Normal function called directly, summed by
  hand (no front door: what the front doors add is the difference).

The same for a small batch (``8 x 4``), where the Python overhead of the front door dominates.
Printed: per case the median time and, per variant, the median and range over the rounds
of its ratio to torch's time in the same round.

Usage::

    python benchmarks/bench_tensor_api.py [--rounds 15] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable

import torch

import anadiv

td = torch.distributions


def _variants(mu: Any, log_sigma: Any) -> dict[str, Callable[[], Any]]:
    d = mu.shape[-1]
    zeros, ones = torch.zeros(d), torch.ones(d)
    normal_kl = anadiv.kl_function("normal", "normal")

    def torch_kl() -> Any:
        p = td.Independent(td.Normal(mu, log_sigma.exp()), 1)
        return td.kl_divergence(p, td.Independent(td.Normal(zeros, ones), 1))

    def anadiv_objects() -> Any:
        p = td.Independent(td.Normal(mu, log_sigma.exp()), 1)
        return anadiv.kl(p, td.Independent(td.Normal(zeros, ones), 1))

    def anadiv_independent() -> Any:
        p = anadiv.Independent(anadiv.Normal(mu, log_sigma.exp()), 1)
        return anadiv.kl(p, anadiv.Independent(anadiv.Normal(zeros, ones), 1))

    def anadiv_diagonal() -> Any:
        return anadiv.kl(anadiv.DiagonalNormal(mu, log_sigma.exp()), anadiv.DiagonalNormal(zeros, ones))

    def generated() -> Any:
        return normal_kl(mu, log_sigma.exp(), zeros, ones).sum(-1)

    return {"torch": torch_kl, "anadiv(torch objects)": anadiv_objects, "anadiv(Independent)": anadiv_independent,
            "anadiv(DiagonalNormal)": anadiv_diagonal, "generated": generated}


def _step(fn: Callable[[], Any], mu: Any, log_sigma: Any) -> None:
    fn().sum().backward()
    mu.grad = log_sigma.grad = None


def run(shape: tuple[int, int], rounds: int, repeat: int) -> None:
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(*shape, generator=g).requires_grad_()
    log_sigma = (0.3 * torch.randn(*shape, generator=g)).requires_grad_()
    variants = _variants(mu, log_sigma)
    reference = variants["torch"]().detach()
    for name, fn in variants.items():  # the same values, to float32 rounding
        out = fn().detach()
        assert out.shape == reference.shape, name
        assert torch.allclose(out, reference, rtol=2e-5, atol=1e-5), name
        _step(fn, mu, log_sigma)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            best = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                _step(fn, mu, log_sigma)
                best.append(time.perf_counter() - t0)
            times[name].append(statistics.median(best))
    print(f"\nVAE term {shape[0]} x {shape[1]} float32, forward + backward, {torch.get_num_threads()} threads, "
          f"{rounds} rounds")
    print(f"{'variant':26s} {'median':>11s} {'ratio to torch: median [min, max]':>36s}")
    for name, ts in times.items():
        ratios = [t / r for t, r in zip(ts, times["torch"])]
        print(f"{name:26s} {_ms(statistics.median(ts)):>11s}   "
              f"{statistics.median(ratios):6.2f}x [{min(ratios):.2f}, {max(ratios):.2f}]")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.1f} us"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    run((4096, 256), args.rounds, repeat=3)
    run((8, 4), args.rounds, repeat=50)


if __name__ == "__main__":
    main()
