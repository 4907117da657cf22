import os

import pytest
import torch
from torch import nn


class FixedDistribution(nn.Module):
    """Predicts the same distribution p over the vocabulary at every position: token x costs -ln p(x) nats, and
    greedy decoding repeats p's mode. A model whose losses are known in closed form."""

    def __init__(self, probs):
        super().__init__()
        self.logp = nn.Parameter(torch.log(torch.as_tensor(probs, dtype=torch.float64)))

    def forward(self, idx):
        return self.logp.expand(*idx.shape, -1)

    def loss(self, idx, targets, reduction="none"):
        assert reduction == "none"
        return -self.logp[targets]


@pytest.fixture
def fixed_distribution():
    return FixedDistribution


def _worker_share() -> int:
    """This pytest worker's share of the cores (all of them without xdist)."""
    return max(1, (os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))


# Each pytest worker, and every process its tests start (a chapter's kernel; sweep workers use one thread anyway),
# computes on the worker's share of the cores, or on $OMP_NUM_THREADS when set. With torch's default (a thread per
# core) in every process, two workers kept more threads busy than there are cores: beside a chapter's smoke run, two
# tests that train tiny models in-process took 55-64 s on two threads and 4.3-4.4 s on one (2026-12-07). Thread
# counts change only the order of floating-point sums.
if "PYTEST_XDIST_WORKER" in os.environ:
    torch.set_num_threads(int(os.environ.setdefault("OMP_NUM_THREADS", str(_worker_share()))))


def sweep_workers() -> str:
    """Training processes for a chapter a test runs: $MEMCAP_WORKERS if set, else this pytest worker's share of the
    cores (``make test`` runs two pytest workers on two cores: one each, so two tests' chapters train in two
    processes, not four, which made them about a sixth faster; the trained runs are the same)."""
    return os.environ.get("MEMCAP_WORKERS") or str(_worker_share())


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory):
    """Every chapter executed at smoke scale into one build folder (its run store: ``<build>/store``), each sweep on
    :func:`sweep_workers` processes."""
    from memcap.book import chapters, execute

    build = tmp_path_factory.mktemp("build")
    before = os.environ.get("MEMCAP_WORKERS")
    os.environ["MEMCAP_WORKERS"] = sweep_workers()
    try:
        results = execute.run_chapters(scale="smoke", build_dir=build, progress=False, log=lambda m: None)
    finally:
        if before is None:
            os.environ.pop("MEMCAP_WORKERS", None)
        else:
            os.environ["MEMCAP_WORKERS"] = before
    assert [r.chapter for r in results] == [c.name for c in chapters.CHAPTERS]
    return build


@pytest.fixture(scope="session")
def smoke_html(smoke_build):
    """The public HTML book of the smoke build."""
    from memcap.book import build as book

    index = book.build_book("smoke", smoke_build, execute=False)
    return index.parent
