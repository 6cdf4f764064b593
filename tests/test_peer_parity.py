"""Parity with PyTorch: every KL pair torch registers is answered by anadiv, with torch's value.

The list of torch's pairs is data (``docs/_hooks/peer_kl_pairs.py``, shown on the
closed-form page); here it is checked against the installed torch's own registry,
so it cannot drift while CI pins that torch. For each pair whose two classes are
anadiv families (through their ``torch_name`` hook), anadiv's KL at random
parameter points from the families' typical ranges equals torch's in float64,
including which values are infinite; where torch is known to be wrong, the note
in ``TORCH_WRONG`` says why and anadiv's value is checked against quadrature instead.
A pair whose class anadiv lacks must be one of :data:`NOT_YET`, so a family that
lands is tested here at once and a torch upgrade that adds pairs is noticed.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import anadiv
from anadiv import registry
from anadiv.errors import NoClosedFormError

HOOKS = Path(__file__).resolve().parents[1] / "docs" / "_hooks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


PEERS = _load("peer_kl_pairs")
HOOK = _load("anadiv_docs")

#: torch classes anadiv has no family for yet (issue 12 adds them); shrinks as they land.
NOT_YET: set[str] = set()

N_POINTS = 4
RTOL = 1e-9


def _family_pairs() -> list[tuple[str, str]]:
    return [(p, q) for p, q in PEERS.TORCH_KL_PAIRS
            if p not in PEERS.CONSTRUCTIONS and q not in PEERS.CONSTRUCTIONS]


def test_the_list_is_torchs_registry() -> None:
    torch = pytest.importorskip("torch")
    import torch.distributions.kl as tkl

    assert torch.__version__.split("+")[0] == PEERS.TORCH_VERSION, (
        "torch changed: update TORCH_VERSION and TORCH_KL_PAIRS in docs/_hooks/peer_kl_pairs.py")
    assert sorted((a.__name__, b.__name__) for a, b in tkl._KL_REGISTRY) == list(PEERS.TORCH_KL_PAIRS)


def test_every_torch_class_is_an_anadiv_family_or_listed_as_not_yet() -> None:
    names = {n for pair in _family_pairs() for n in pair}
    missing = {n for n in names if HOOK.peer_class("torch", n) is None}
    assert missing == NOT_YET, "update NOT_YET: " + str(sorted(missing ^ NOT_YET))


def _torch_value(p, q) -> float:
    import torch

    with torch.no_grad():
        return float(torch.distributions.kl_divergence(p.to_torch(), q.to_torch()))


@pytest.mark.parametrize("pair", _family_pairs(), ids=["-".join(p) for p in _family_pairs()])
def test_anadiv_answers_every_torch_pair_with_torchs_value(pair: tuple[str, str]) -> None:
    pytest.importorskip("torch")
    P, Q = (HOOK.peer_class("torch", n) for n in pair)
    if P is None or Q is None:
        assert {n for n, c in zip(pair, (P, Q)) if c is None} <= NOT_YET
        return
    assert registry.resolve("kl", P, Q) is not None, f"anadiv has no closed form for torch's pair {pair}"
    rng = np.random.default_rng([7, *map(ord, "".join(pair))])
    for _ in range(N_POINTS):
        p, q = P(*P.random_params(rng)), Q(*Q.random_params(rng))
        try:
            mine = float(anadiv.kl(p, q))
        except NoClosedFormError:
            # a Binomial pair with P's trial count below Q's: torch refuses it too
            with pytest.raises(NotImplementedError):
                _torch_value(p, q)
            continue
        assert mine >= 0, (pair, p, q, mine)
        if pair in PEERS.TORCH_WRONG:
            truth = float(anadiv.kl_quad(p, q))
            assert mine == pytest.approx(truth, rel=1e-7) if math.isfinite(truth) else mine == truth
            continue
        theirs = _torch_value(p, q)
        if math.isinf(theirs) or math.isinf(mine):
            assert mine == theirs, (pair, p, q, mine, theirs)
        else:
            assert mine == pytest.approx(theirs, rel=RTOL, abs=1e-14), (pair, p, q, mine, theirs)


def test_independent_pairs_sum_the_bases_like_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    mu1, mu2 = rng.normal(size=(2, 5, 4))
    s1, s2 = np.exp(rng.normal(size=(2, 5, 4)))
    p = anadiv.Independent(anadiv.Normal(mu1, s1), 1)
    q = anadiv.Independent(anadiv.Normal(mu2, s2), 1)
    tp = torch.distributions.Independent(anadiv.Normal(mu1, s1).to_torch(), 1)
    tq = torch.distributions.Independent(anadiv.Normal(mu2, s2).to_torch(), 1)
    np.testing.assert_allclose(anadiv.kl(p, q), torch.distributions.kl_divergence(tp, tq).numpy(), rtol=1e-12)


def test_the_docs_table_names_every_pair_with_anadivs_answer() -> None:
    rows = HOOK.parity_markdown()
    text = "\n".join(rows)
    for p, q in PEERS.TORCH_KL_PAIRS + PEERS.TFP_KL_PAIRS:
        assert f"| {p} | {q} |" in text
    assert "Normal | Normal | closed form |" in text


@pytest.mark.parametrize("pair", [("LogitNormal", "LogitNormal")])
def test_the_tfp_pairs_of_the_tfp_families_are_closed_forms(pair: tuple[str, str]) -> None:
    assert pair in PEERS.TFP_KL_PAIRS
    assert HOOK.peer_status("tfp", *pair) == "closed form"
    assert f"| {pair[0]} | {pair[1]} | closed form |" in "\n".join(HOOK.parity_markdown())
