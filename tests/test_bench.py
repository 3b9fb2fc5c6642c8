"""``djl-bridge bench``: the statistics, the RSS reader, ``Main --json`` and a tiny real bench of both
launchers (each run its own process). No speed is asserted, only the contract and sanity."""
from __future__ import annotations

import json
import math
import resource
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

import djl_bridge
from djl_bridge import TrainConfig, jvm
from djl_bridge.bench import (
    BenchConfig,
    BenchError,
    BenchRow,
    command,
    format_table,
    growth_start_epoch,
    parse_list,
    rss_growth_pct,
    run_one,
    steady_median,
)
from djl_bridge.config import MODELS
from djl_bridge.errors import ConfigError
from djl_bridge.session import prepare

from .conftest import run_cli

#: Small enough for a busy 2-core machine: 1000 tokens, batch 8 x 10 steps, 12 hidden units.
TINY = ["--epochs", "3", "--hidden", "12", "--batch-size", "8", "--num-steps", "10",
        "--max-tokens", "1000"]
ROW_KEYS = {"model", "impl", "launcher", "tokens_per_sec", "sec_per_epoch", "peak_rss_mb",
            "rss_growth_pct", "ratio", "final_perplexity"}


def test_steady_median_leaves_out_the_first_epoch() -> None:
    assert steady_median([100.0, 3.0, 1.0, 2.0]) == 2.0
    assert steady_median([100.0, 4.0, 1.0, 2.0, 3.0]) == 2.5
    assert steady_median([7.0]) == 7.0
    assert math.isnan(steady_median([]))


def test_rss_growth_runs_from_epoch_10_or_the_last() -> None:
    rss = [50.0 + e for e in range(9)] + [100.0] + [100.0] * 9 + [104.0]  # 20 epochs
    assert growth_start_epoch(len(rss)) == 10
    assert rss_growth_pct(rss) == pytest.approx(4.0)
    assert rss_growth_pct([100.0, 90.0, 95.0]) == 0.0  # fewer than 10 epochs: from the last
    assert growth_start_epoch(3) == 3
    assert rss_growth_pct([100.0, 100.0, 80.0], from_epoch=1) == pytest.approx(-20.0)
    assert math.isnan(rss_growth_pct([]))
    assert math.isnan(rss_growth_pct([float("nan")] * 12))


def test_lists_and_config_are_checked() -> None:
    assert parse_list("GRU, rnn", MODELS, "--models") == ("gru", "rnn")
    with pytest.raises(ConfigError, match="--models: unknown 'foo'"):
        parse_list("gru,foo", MODELS, "--models")
    with pytest.raises(ConfigError, match="--impls is empty"):
        BenchConfig(impls=()).validate()
    with pytest.raises(ConfigError, match="names a value twice"):
        BenchConfig(launchers=("java", "java")).validate()
    with pytest.raises(ConfigError, match="--epochs must be"):
        BenchConfig(train=TrainConfig(epochs=0)).validate()


def _status_field_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/self/status")


def test_process_memory_parses_and_reads_the_host_process(jvm: None) -> None:
    import jpype

    pm = jpype.JClass("djlbridge.ProcessMemory")
    status = "Name:\tpython3\nVmHWM:\t  307200 kB\nVmRSS:\t  153600 kB\n"
    assert float(pm.parseMb(status, "VmRSS")) == 150.0
    assert float(pm.parseMb(status, "VmHWM")) == 300.0
    assert math.isnan(float(pm.parseMb(status, "VmSwap")))
    with pytest.raises(jpype.JException, match="unexpected VmRSS line"):
        pm.parseMb("VmRSS: lots\n", "VmRSS")
    # The JVM runs inside this Python process: Java's /proc/self is Python's.
    rss = float(pm.residentMb())
    assert abs(rss - _status_field_mb("VmRSS")) < 64, rss
    # Java's VmHWM first, the kernel's high-water mark for this process after it: the peak can
    # only grow in between.
    java_peak = float(pm.peakResidentMb())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert 0 < java_peak <= peak_kb / 1024 + 1


def test_train_records_rss_and_epoch_seconds(jvm: None, corpus: Path) -> None:
    cfg = TrainConfig(epochs=3, hidden=12, batch_size=8, num_steps=10, max_tokens=1000, data=corpus)
    out = djl_bridge.train(cfg).to_dict()
    assert len(out["rss_mb"]) == 3 and len(out["epoch_seconds"]) == 3
    assert all(r > 10 for r in out["rss_mb"]) and all(s > 0 for s in out["epoch_seconds"])
    assert out["peak_rss_mb"] >= max(out["rss_mb"])


def test_main_json_contract(corpus: Path) -> None:
    cfg = prepare(TrainConfig(model="lstm", impl="concise", epochs=3, hidden=12, batch_size=8,
                              num_steps=10, max_tokens=1000, data=corpus, device="cpu"))
    argv = command("java", cfg)
    cp = argv.index("-cp")
    assert argv[cp - len(jvm.JVM_OPTIONS):cp] == list(jvm.JVM_OPTIONS)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout  # one JSON object and nothing else on stdout
    out = json.loads(lines[0])
    assert out["launcher"] == "java" and out["device"] == "cpu()"
    for key in ("perplexity", "epoch_tokens_per_sec", "rss_mb", "epoch_seconds"):
        assert len(out[key]) == 3, key
    assert out["tokens_per_sec"] == pytest.approx(steady_median(out["epoch_tokens_per_sec"]))
    assert out["final_perplexity"] == out["perplexity"][-1] and 1 < out["final_perplexity"] < 30
    assert all(r > 10 for r in out["rss_mb"]) and out["peak_rss_mb"] >= max(out["rss_mb"])
    assert out["config"]["impl"] == "concise" and out["config"]["hidden"] == 12
    assert set(out["predictions"]) == {"time traveller", "traveller"}


def test_tiny_bench_both_launchers(corpus: Path) -> None:
    proc = run_cli(["bench", "--json", "--models", "gru", "--impls", "scratch", *TINY,
                    "--data", str(corpus)])
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["rows"]
    assert [(r["model"], r["impl"], r["launcher"]) for r in rows] == [
        ("gru", "scratch", "bridge"), ("gru", "scratch", "java")]
    bridge, java = rows
    for r in rows:
        assert ROW_KEYS <= set(r), r
        assert r["tokens_per_sec"] > 0 and r["sec_per_epoch"] > 0, r
        assert r["peak_rss_mb"] > 10 and r["rss_growth_pct"] == 0.0, r  # 3 epochs: from epoch 3
        assert r["epochs"] == 3 and r["rss_growth_from_epoch"] == 3
    assert bridge["ratio"] == pytest.approx(bridge["tokens_per_sec"] / java["tokens_per_sec"])
    assert java["ratio"] == bridge["ratio"]
    # Same seed, same code behind both launchers: the same training.
    assert bridge["final_perplexity"] == pytest.approx(java["final_perplexity"], rel=1e-5)
    assert proc.stderr.count("bench: [") == 2
    table = format_table([BenchRow.from_dict(r) for r in rows])
    assert "bridge / java tokens/s, gru: scratch" in table and table.count("\ngru ") == 2


def test_bench_errors_are_one_line(corpus: Path, tmp_path: Path) -> None:
    proc = run_cli(["bench", "--models", "gru,foo", "--data", str(corpus)])
    assert proc.returncode == 1
    assert proc.stderr.strip() == "djl-bridge: error: --models: unknown 'foo', use a comma list of gru,lstm,rnn"
    proc = run_cli(["bench", "--launchers", "java", *TINY, "--data", str(corpus)],
                   env={"DJL_BRIDGE_CLASSPATH": str(tmp_path / "classpath.txt")})
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "`gradle assemble`" in proc.stderr


def test_a_failed_run_is_reported_with_its_cause(corpus: Path) -> None:
    # A corpus of another text fails the SHA-1 check inside the child unless told otherwise:
    # the bench names the run and passes the child's one-line reason on.
    cfg = prepare(TrainConfig(epochs=1, data=corpus))
    other = Path(__file__).resolve()  # any readable text that is not the corpus
    with pytest.raises(BenchError, match=r"^the bridge run of gru/scratch failed \(exit 1\): (?!djl-bridge)"):
        run_one("bridge", replace(cfg, data=other, max_tokens=100000, batch_size=2, num_steps=3))
