"""Reading the corpus as a stream: a huge corpus with a small --max-tokens is read in bounded memory
(Java and Python stream it), and the streaming readers give what the whole-file readers gave."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from djl_bridge import data
from djl_bridge.reference.text import load_corpus, read_time_machine, tokenize

from .conftest import run_cli

TINY = ["--epochs", "1", "--hidden", "16", "--batch-size", "4", "--num-steps", "5",
        "--max-tokens", "2000"]


@pytest.fixture(scope="module")
def big_text(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    """About 50 MB: the corpus repeated (one write of one repeated bytes object: well under 1 s)."""
    body = corpus.read_bytes()
    path = tmp_path_factory.mktemp("big") / "big.txt"
    path.write_bytes(body * (50_000_000 // len(body) + 1))
    return path


@pytest.mark.subprocess
def test_big_corpus_with_small_max_tokens_trains(big_text: Path) -> None:
    """The JVM runs with -Xmx1g: reading the whole 50 MB file into token strings before cutting
    it to --max-tokens died with "GC overhead limit exceeded" after about a minute."""
    assert big_text.stat().st_size > 50_000_000
    start = time.monotonic()
    proc = run_cli(["train", "--data", str(big_text), "--no-verify-data", "--json", *TINY],
                   timeout=300)
    wall = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert len(result["perplexity"]) == 1 and result["config"]["max_tokens"] == 2000
    # The vocabulary is still the whole text's: the corpus repeated has the corpus's 28 tokens.
    assert wall < 120, f"{wall:.0f} s"


def test_count_tokens_stops_at_the_limit(big_text: Path) -> None:
    start = time.monotonic()
    assert data.count_tokens(big_text, limit=2000) == 2000
    assert time.monotonic() - start < 1.0  # it read one chunk, not 50 MB


@pytest.mark.parametrize("text", [
    "", "\n", "a", "ab\r\ncd\r\n\r\n", "x\ry\n\rz", "  Hello,  World!! \n--Yes--", "tie: ba ab\n",
    "caf\u00e9 na\u00efve \U0001F600 end\r", "A\n\nB\r\rC\r\n", "end-\nof-line -- joins\n",
])
def test_count_tokens_matches_the_twin(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8", newline="")
    want = len(load_corpus(path, max_tokens=0)[0])
    assert data.count_tokens(path) == want
    for limit in (1, 3, 1000):
        assert data.count_tokens(path, limit=limit) == min(want, limit)
    assert data.read_time_machine(path)[: len(read_time_machine(path))] == read_time_machine(path)


def test_count_tokens_of_the_corpus(corpus: Path) -> None:
    tokens = tokenize(read_time_machine(corpus), "char")
    assert data.count_tokens(corpus) == sum(len(line) for line in tokens) == 170580
    assert data.count_tokens(corpus, limit=10000) == 10000
    assert data.count_tokens(corpus, limit=10**12) == 170580


# -- the sequential partition: a new offset every epoch (D2L's seq_data_iter_sequential) ----------

def _java_dataset(corpus: Path, batch: int, steps: int, random: bool, seed: int,
                  max_tokens: int = 10000) -> object:
    import jpype

    ds = (jpype.JClass("djlbridge.TimeMachineDataset").builder()
          .setManager(jpype.JClass("ai.djl.ndarray.NDManager").newBaseManager())
          .setMaxTokens(max_tokens).setSampling(batch, random).setSteps(steps)
          .setDataPath(str(corpus)).optSeed(seed).build())
    ds.prepare()
    return ds


def _trained_positions(ds: object) -> tuple[int, set[int]]:
    """The offset and the corpus positions (X tokens) of the next epoch."""
    batches = ds.nextEpochBatches()  # type: ignore[attr-defined]
    steps = int(ds.getNumSteps())  # type: ignore[attr-defined]
    seen: set[int] = set()
    for batch in batches:
        for index in batch:
            start = int(ds.startOf(index))  # type: ignore[attr-defined]
            seen.update(range(start, start + steps))
    return int(ds.getOffset()), seen  # type: ignore[attr-defined]


def test_sequential_epochs_draw_new_offsets(jvm: None, corpus: Path) -> None:
    """The Java text's configuration (batch 32, 35 steps, 10000 tokens, seed 42): one offset for
    all epochs left about a tenth of the tokens untrained, every epoch."""
    ds = _java_dataset(corpus, 32, 35, False, 42)
    offsets: list[int] = []
    union: set[int] = set()
    first: set[int] = set()
    for _ in range(5):
        offset, seen = _trained_positions(ds)
        offsets.append(offset)
        union |= seen
        first = first or seen
    assert offsets[0] != offsets[1], offsets
    assert len(union) > len(first), (len(union), len(first))


@pytest.mark.parametrize("random", [False, True])
def test_twin_draws_the_offsets_java_draws(jvm: None, corpus: Path, random: bool) -> None:
    from djl_bridge.reference import TwinDataset

    full, _ = load_corpus(corpus, max_tokens=0)
    for seed in (0, 1, 42, -7):
        ds = _java_dataset(corpus, 4, 10, random, seed, max_tokens=1500)
        twin = TwinDataset(full[:1500], 4, 10, random, seed)
        assert int(ds.getOffset()) == twin.offset
        for _ in range(6):
            list(twin.next_epoch())
            ds.nextEpochBatches()
            assert (int(ds.getOffset()), int(ds.getNumBatches())) == (twin.offset, twin.num_batches)


def test_twin_too_small_at_the_largest_offset(corpus: Path) -> None:
    from djl_bridge.reference import TwinDataset

    full, _ = load_corpus(corpus, max_tokens=0)
    for random in (False, True):
        for seed in range(10):
            twin = TwinDataset(full[:4 * 10 + 10], 4, 10, random, seed)
            assert all(len(list(twin.next_epoch())) == 1 for _ in range(10))
            with pytest.raises(ValueError, match="too small for one batch of 4 x 10 steps"):
                TwinDataset(full[:4 * 10 + 9], 4, 10, random, seed)


def test_parity_sees_a_twin_that_keeps_one_offset(jvm: None, corpus: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The parity rows compare every epoch: a twin that draws the offset once (the old Java text)
    fails them, in both partitions."""
    from djl_bridge import parity
    from djl_bridge.reference import sampling

    def one_offset(self: sampling.TwinDataset):  # type: ignore[no-untyped-def]
        self._offset_used = False  # never redraw: the first epoch's offset for ever
        return right(self)

    right = sampling.TwinDataset.next_epoch
    ctx = parity.Context(parity.ParitySetup(data=corpus))
    try:
        assert parity.run_check(ctx, "batches sequential").ok
        monkeypatch.setattr(sampling.TwinDataset, "next_epoch", one_offset)
        for mode in ("sequential", "random"):
            result = parity.run_check(ctx, f"batches {mode}")
            assert not result.ok, result
    finally:
        ctx.close()
