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


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory):
    """Every chapter executed at smoke scale into one build folder (its run store: ``<build>/store``)."""
    from memcap.book import chapters, execute

    build = tmp_path_factory.mktemp("build")
    results = execute.run_chapters(scale="smoke", build_dir=build, progress=False, log=lambda m: None)
    assert [r.chapter for r in results] == [c.name for c in chapters.CHAPTERS]
    return build


@pytest.fixture(scope="session")
def smoke_html(smoke_build):
    """The public HTML book of the smoke build."""
    from memcap.book import build as book

    index = book.build_book("smoke", smoke_build, execute=False)
    return index.parent
