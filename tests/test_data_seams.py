"""The data seams of issue 8: a huge corpus with a small --max-tokens is read in bounded memory
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
