"""``djl-bridge bench``: the statistics (on fixed numbers), the schedule of the rounds, the option
checks, the RSS reader, ``Main --json``, the PyTorch reference's error path, and a tiny real bench of
both launchers (each run its own process). No speed is asserted, only the contract and sanity.
PyTorch is never needed: the one test that runs it is skipped unless ``DJL_BRIDGE_TORCH_PYTHON``
names an interpreter that has it."""
from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import djl_bridge
from djl_bridge import TrainConfig, jvm
from djl_bridge.bench import (
    TORCH_SCRIPT,
    BenchConfig,
    BenchError,
    BenchRow,
    RunResult,
    Spread,
    check_torch,
    child_env,
    command,
    format_table,
    growth_start_epoch,
    paired_ratios,
    parse_list,
    read_run_json,
    rss_growth_pct,
    run_one,
    schedule,
    steady_median,
    summarize,
    warmup,
    window_median,
)
from djl_bridge.config import MODELS
from djl_bridge.errors import ConfigError
from djl_bridge.session import prepare

from .conftest import ROOT, run_cli

#: Small enough for a busy 2-core machine: 1000 tokens, batch 8 x 10 steps, 12 hidden units.
TINY = ["--epochs", "3", "--hidden", "12", "--batch-size", "8", "--num-steps", "10",
        "--max-tokens", "1000"]
#: The PyTorch interpreter of the optional test (never required).
TORCH_PYTHON = os.environ.get("DJL_BRIDGE_TORCH_PYTHON")
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
    for bad in (0, -1, True, 2.5):
        with pytest.raises(ConfigError, match="--rounds must be a whole number > 0"):
            BenchConfig(rounds=bad).validate()  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"--threads must be a whole number in 1\.\.4096, got 0"):
        BenchConfig(threads=0).validate()
    assert child_env(2)["OMP_NUM_THREADS"] == "2" == child_env(2)["MKL_NUM_THREADS"]
    assert child_env()["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)
    with pytest.raises(ConfigError, match="the torch launcher needs --torch PYTHON"):
        BenchConfig(launchers=("bridge", "torch")).validate()
    with pytest.raises(ConfigError, match="--torch /no/such/python: no such file"):
        BenchConfig(launchers=("torch",), torch_python=Path("/no/such/python")).validate()
    with pytest.raises(ConfigError, match="--launchers leaves torch out"):
        BenchConfig(launchers=("java",), torch_python=Path(sys.executable)).validate()
    assert BenchConfig(launchers=("java", "torch"), torch_python=Path(sys.executable),
                       rounds=1).validate().rounds == 1


def test_spread_and_paired_ratios_on_fixed_numbers() -> None:
    assert Spread.of([3.0, 1.0, 2.0]) == Spread(2.0, 1.0, 3.0)
    assert Spread.of([4.0, 1.0, float("nan"), 2.0, 3.0]) == Spread(2.5, 1.0, 4.0)  # NaN left out
    assert Spread.of([2.0, 1.0, 3.0]).relative_width == pytest.approx(1.0)
    assert all(math.isnan(v) for v in (Spread.of([]).median, Spread.of([]).low, Spread.of([]).high))
    # Rounds pair up by number; a round missing on either side or a zero denominator gives none.
    assert paired_ratios({1: 10.0, 2: 30.0, 3: 9.0}, {1: 5.0, 2: 10.0, 4: 1.0}) == [2.0, 3.0]
    assert paired_ratios({1: 1.0}, {1: 0.0}) == []
    assert window_median([10.0, 1.0, 2.0, 3.0, 100.0], 2, 4) == 2.0
    assert window_median([10.0, 1.0], 2, 5) == 1.0  # the window runs past the end
    assert math.isnan(window_median([10.0], 2, 5))


def _run(launcher: str, round_no: int, speed: float, epochs: list[float], model: str = "gru") -> RunResult:
    return RunResult(model=model, impl="scratch", launcher=launcher, round=round_no,
                     tokens_per_sec=speed, sec_per_epoch=1.0 / speed, peak_rss_mb=100.0 + round_no,
                     rss_growth_pct=float(round_no), final_perplexity=5.0, epochs=len(epochs),
                     rss_growth_from_epoch=growth_start_epoch(len(epochs)), process_seconds=9.0,
                     cpu_seconds=float(round_no), epoch_tokens_per_sec=epochs)


def test_summary_takes_the_median_of_the_per_round_ratios() -> None:
    # java 100, 200, 300 and bridge 90, 240, 270: the per-round ratios are 0.9, 1.2, 0.9, so the
    # median ratio is 0.9 -- the ratio of the medians (240 / 200 = 1.2) would hide the pairing.
    java = [_run("java", r, s, [s] * 3) for r, s in ((1, 100.0), (2, 200.0), (3, 300.0))]
    bridge = [_run("bridge", r, s, [s] * 3) for r, s in ((1, 90.0), (2, 240.0), (3, 270.0))]
    rows = summarize(bridge[:2] + java + bridge[2:])
    assert [(r.launcher, r.rounds) for r in rows] == [("bridge", 3), ("java", 3)]
    b, j = rows
    assert (b.tokens_per_sec, b.tokens_per_sec_min, b.tokens_per_sec_max) == (240.0, 90.0, 270.0)
    assert b.ratio == pytest.approx(0.9) and b.ratio_min == pytest.approx(0.9)
    assert b.ratio_max == pytest.approx(1.2)
    assert b.ratio_rounds == pytest.approx([0.9, 1.2, 0.9])
    assert j.ratio is None and j.ratio_rounds == []
    assert b.peak_rss_mb == 103.0 and b.rss_growth_pct == 2.0 and b.cpu_seconds == 2.0
    d = b.to_dict()
    assert d["ratio"] == pytest.approx(0.9) and BenchRow.from_dict(d) == b
    table = format_table(rows)
    assert "0.900" in table and "0.90-1.20" in table and "90-270" in table


def test_warmup_compares_windows_round_by_round() -> None:
    # Round 1: the bridge is at half java's speed in epoch 1, equal from epoch 2 on; round 2:
    # 0.8 in epoch 1, 1.1 in epochs 2-5.
    java = [_run("java", 1, 100.0, [100.0] * 6), _run("java", 2, 50.0, [50.0] * 6)]
    bridge = [_run("bridge", 1, 100.0, [50.0] + [100.0] * 5),
              _run("bridge", 2, 55.0, [40.0] + [55.0] * 5)]
    rows = warmup(java + bridge)
    assert [w.launcher for w in rows] == ["bridge", "java"]
    w = rows[0]
    assert w.windows == [(1, 1), (2, 5), (6, 6)]  # the runs have 6 epochs: none from 11, 6-10 cut
    assert w.ratio == pytest.approx([0.65, 1.05, 1.05])
    assert w.ratio_min == pytest.approx([0.5, 1.0, 1.0]) and w.ratio_max == pytest.approx([0.8, 1.1, 1.1])
    assert w.tokens_per_sec == pytest.approx([45.0, 77.5, 77.5])
    assert rows[1].ratio == [] and rows[1].tokens_per_sec == pytest.approx([75.0, 75.0, 75.0])
    assert "ep 2-5" in format_table(summarize(java + bridge), rows)


def test_schedule_interleaves_rounds_and_rotates_the_order() -> None:
    pairs = [("gru", "scratch"), ("gru", "concise")]
    plan = schedule(pairs, ("bridge", "java"), 2)
    assert plan == [
        (1, "gru", "scratch", "bridge"), (1, "gru", "scratch", "java"),
        (1, "gru", "concise", "java"), (1, "gru", "concise", "bridge"),
        (2, "gru", "scratch", "java"), (2, "gru", "scratch", "bridge"),
        (2, "gru", "concise", "bridge"), (2, "gru", "concise", "java"),
    ]
    three = schedule([("lstm", "scratch")], ("bridge", "java", "torch"), 3)
    firsts = [three[k][3] for k in range(0, 9, 3)]
    lasts = [three[k][3] for k in range(2, 9, 3)]
    assert sorted(firsts) == sorted(lasts) == ["bridge", "java", "torch"]
    assert [r for r, *_ in three] == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_run_json_is_read_in_one_place() -> None:
    out = {"tokens_per_sec": 10.0, "epoch_tokens_per_sec": [5.0, 10.0], "epoch_seconds": [2.0, 1.0],
           "rss_mb": [100.0, None], "peak_rss_mb": 120.0, "final_perplexity": 3.0}
    run = read_run_json("gru", "concise", "torch", out, round_no=2, process_seconds=4.0)
    assert (run.round, run.epochs, run.sec_per_epoch, run.peak_rss_mb) == (2, 2, 1.0, 120.0)
    assert math.isnan(run.rss_growth_pct) and run.to_dict()["rss_growth_pct"] is None
    assert run.threads is None  # the run did not say
    assert read_run_json("gru", "concise", "java", {**out, "omp_threads": 2}).threads == 2
    assert read_run_json("gru", "concise", "torch", {**out, "threads": 3}).threads == 3
    assert read_run_json("gru", "concise", "java", {**out, "omp_threads": None}).threads is None
    with pytest.raises(BenchError, match="the java run of gru/concise printed JSON without 'rss_mb'"):
        read_run_json("gru", "concise", "java", {k: v for k, v in out.items() if k != "rss_mb"})


def _status_field_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/self/status")


def test_process_memory_parses_and_reads_the_host_process(jvm: None) -> None:
    import jpype

    pm = jpype.JClass("djlbridge.training.ProcessMemory")
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


@pytest.mark.subprocess
def test_main_json_contract(corpus: Path) -> None:
    cfg = prepare(TrainConfig(model="lstm", impl="concise", epochs=3, hidden=12, batch_size=8,
                              num_steps=10, max_tokens=1000, data=corpus, device="cpu"))
    argv = command("java", cfg)
    cp = argv.index("-cp")
    assert argv[cp - len(jvm.JVM_OPTIONS):cp] == list(jvm.JVM_OPTIONS)
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
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
    assert out["omp_threads"] == 1  # what the process was given, reported back
    assert set(out["predictions"]) == {"time traveller", "traveller"}


@pytest.mark.subprocess
@pytest.mark.slow
def test_tiny_bench_both_launchers(corpus: Path, tmp_path: Path) -> None:
    saved = tmp_path / "bench.json"
    proc = run_cli(["bench", "--json", "--models", "gru", "--impls", "scratch", "--rounds", "1",
                    "--epochs", "2", "--hidden", "16", "--batch-size", "8", "--num-steps", "10",
                    "--max-tokens", "1000", "--data", str(corpus), "--save", str(saved)])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert json.loads(saved.read_text()) == out  # --save: the same document, kept after each run
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]  # no temporary file left
    rows = out["rows"]
    assert [(r["model"], r["impl"], r["launcher"]) for r in rows] == [
        ("gru", "scratch", "bridge"), ("gru", "scratch", "java")]
    bridge, java = rows
    for r in rows:
        assert ROW_KEYS <= set(r), r
        assert r["rounds"] == 1 and r["epochs"] == 2 and r["rss_growth_from_epoch"] == 2
        assert r["tokens_per_sec"] > 0 and r["sec_per_epoch"] > 0, r
        assert r["tokens_per_sec_min"] == r["tokens_per_sec"] == r["tokens_per_sec_max"]
        assert r["peak_rss_mb"] > 10 and r["rss_growth_pct"] == 0.0, r  # 2 epochs: from epoch 2
        assert r["cpu_seconds"] > 0.5, r  # a JVM start alone takes more
    assert bridge["ratio"] == pytest.approx(bridge["tokens_per_sec"] / java["tokens_per_sec"])
    assert bridge["ratio_rounds"] == [bridge["ratio"]] and java["ratio"] is None
    # Same seed, same code behind both launchers: the same training.
    assert bridge["final_perplexity"] == pytest.approx(java["final_perplexity"], rel=1e-5)
    assert [len(r["epoch_tokens_per_sec"]) for r in out["runs"]] == [2, 2]
    assert [w["windows"] for w in out["warmup"]] == [[[1, 1], [2, 2]]] * 2
    assert proc.stderr.count("bench: [") == 2 and "round 1/1" in proc.stderr
    table = format_table([BenchRow.from_dict(r) for r in rows])
    assert table.count("\ngru ") == 2 and "/java" in table


@pytest.mark.subprocess
def test_bench_errors_are_one_line(corpus: Path, tmp_path: Path) -> None:
    proc = run_cli(["bench", "--models", "gru,foo", "--data", str(corpus)])
    assert proc.returncode == 1
    assert proc.stderr.strip() == "djl-bridge: error: --models: unknown 'foo', use a comma list of gru,lstm,rnn"
    proc = run_cli(["bench", "--rounds", "0", "--data", str(corpus)])
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr.strip() == "djl-bridge: error: --rounds must be a whole number > 0, got 0"
    proc = run_cli(["bench", "--save", str(tmp_path / "no" / "b.json"), "--data", str(corpus)])
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"djl-bridge: error: --save {tmp_path}/no/b.json: the directory {tmp_path}/no does not exist"
    proc = run_cli(["bench", "--launchers", "java,torch", "--data", str(corpus)])
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert "needs --torch PYTHON" in proc.stderr
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


@pytest.mark.subprocess
def test_torch_missing_is_one_line(corpus: Path) -> None:
    # This interpreter has no torch (the tests never need it): the check before any run and the
    # reference script itself both say so in one line.
    if subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0:
        pytest.skip("this interpreter has torch")
    with pytest.raises(BenchError, match=r"cannot import torch and numpy \(ModuleNotFoundError"):
        check_torch(Path(sys.executable))
    proc = subprocess.run([sys.executable, str(TORCH_SCRIPT), "--epochs", "1", "--data", str(corpus)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("djl-bridge: error: PyTorch is not installed for ")
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = subprocess.run([sys.executable, str(TORCH_SCRIPT), "--hidden", "0", "--data", str(corpus)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("djl-bridge: error: --hidden must be a whole number > 0, got 0")


@pytest.mark.skipif(not TORCH_PYTHON, reason="set DJL_BRIDGE_TORCH_PYTHON to a python with torch")
def test_torch_reference_trains_like_java(corpus: Path) -> None:
    # Optional: the same batches and the same initialization scale give the Java perplexities
    # to within the float noise of two libraries (no speed asserted).
    assert TORCH_PYTHON is not None
    for impl in ("scratch", "concise"):
        cfg = prepare(TrainConfig(model="gru", impl=impl, epochs=2, hidden=16, batch_size=8,
                                  num_steps=10, max_tokens=1000, data=corpus, device="cpu"))
        torch_run = run_one("torch", cfg, torch_python=Path(TORCH_PYTHON))
        java_run = run_one("java", cfg)
        assert torch_run.epochs == 2 and torch_run.tokens_per_sec > 0 and torch_run.peak_rss_mb > 10
        assert torch_run.final_perplexity == pytest.approx(java_run.final_perplexity, rel=0.02)


# ---------------------------------------------------------------- seq2seq rows (bench --section 9.7)

#: What `train --section 9.7 --json` printed for 3 epochs (the fields the bench reads, recorded).
BRIDGE_S2S = {"section": "9.7", "loss": [0.4818, 0.3376, 0.2999], "final_loss": 0.2999,
              "tokens_per_sec": 7822.7, "epoch_tokens_per_sec": [4513.9, 10400.2, 5245.2],
              "epoch_seconds": [0.563, 0.244, 0.484], "rss_mb": [406.0, 411.6, 412.1],
              "peak_rss_mb": 413.1, "omp_threads": 1,
              "config": {"embed": 32, "hidden": 32, "layers": 2, "dropout": 0.1}}
#: What benchmarks/torch_seq2seq.py printed for the same settings (recorded).
TORCH_S2S = {"loss": [0.4546, 0.3271, 0.2840], "final_loss": 0.2840, "tokens_per_sec": 10629.1,
             "epoch_tokens_per_sec": [10002.1, 13396.0, 7862.2], "epoch_seconds": [0.254, 0.190, 0.323],
             "rss_mb": [706.8, 707.7, 707.8], "peak_rss_mb": 708.0, "launcher": "torch", "threads": 1,
             "config": {"epochs": 3, "layers": 2, "hidden": 32}}


def test_seq2seq_commands_share_settings_and_threads(tmp_path: Path) -> None:
    from djl_bridge.bench import TORCH_SEQ2SEQ_SCRIPT, seq2seq_command
    from djl_bridge.seq2seq_config import Seq2SeqConfig

    data = tmp_path / "fra.txt"
    cfg = Seq2SeqConfig(epochs=7, hidden=16, embed=8, num_examples=90, dropout=0.2, data=data,
                        device="cpu")
    bridge = seq2seq_command("bridge", cfg, threads=2)
    torch = seq2seq_command("torch", cfg, Path("/venv/bin/python"), threads=2)
    assert bridge[1:6] == ["-m", "djl_bridge.cli", "train", "--section", "9.7"]
    assert torch[:2] == ["/venv/bin/python", str(TORCH_SEQ2SEQ_SCRIPT)]
    assert TORCH_SEQ2SEQ_SCRIPT.is_file()

    def options(argv: list[str]) -> dict[str, str]:
        flags = [k for k, a in enumerate(argv) if a.startswith("--") and a != "--section"]
        return {argv[k]: argv[k + 1] for k in flags if k + 1 < len(argv)
                and not argv[k + 1].startswith("--")}

    # Every setting and the thread count reach both launchers, spelled alike.
    assert options(bridge) == options(torch)
    assert options(bridge) == {
        "--epochs": "7", "--lr": "0.005", "--embed": "8", "--hidden": "16", "--layers": "2",
        "--dropout": "0.2", "--batch-size": "64", "--num-steps": "10", "--num-examples": "90",
        "--seed": "0", "--data": str(data), "--device": "cpu", "--threads": "2"}
    assert bridge[-1] == torch[-1] == "--json" and "--no-verify-data" not in bridge
    assert "--threads" not in seq2seq_command("bridge", cfg)  # unpinned: the environment decides
    assert seq2seq_command("bridge", replace(cfg, verify_data=False))[-1] == "--no-verify-data"
    with pytest.raises(ConfigError, match="plain java .* trains the language model only"):
        seq2seq_command("java", cfg)
    with pytest.raises(ConfigError, match="needs the English-French data"):
        seq2seq_command("bridge", replace(cfg, data=None))


def test_seq2seq_bench_config_is_checked() -> None:
    from djl_bridge.bench import Seq2SeqBenchConfig
    from djl_bridge.seq2seq_config import Seq2SeqConfig

    with pytest.raises(ConfigError, match="^--launchers java with --section 9.7: plain java"):
        Seq2SeqBenchConfig(launchers=("bridge", "java")).validate()
    with pytest.raises(ConfigError, match="the torch launcher needs --torch PYTHON"):
        Seq2SeqBenchConfig().validate()  # bridge and torch by default
    with pytest.raises(ConfigError, match="--rounds must be a whole number > 0"):
        Seq2SeqBenchConfig(launchers=("bridge",), rounds=0).validate()
    with pytest.raises(ConfigError, match="--embed must be a whole number > 0"):
        Seq2SeqBenchConfig(launchers=("bridge",), train=Seq2SeqConfig(embed=0)).validate()
    assert Seq2SeqBenchConfig(launchers=("bridge", "torch"), torch_python=Path(sys.executable),
                              threads=1).validate().threads == 1


def test_seq2seq_rows_divide_by_torch_round_by_round() -> None:
    from djl_bridge.bench import SEQ2SEQ_BASELINE, format_seq2seq

    runs = []
    # Bridge 6000, 9000, 7000 against torch 10000, 10000, 14000: per round 0.6, 0.9, 0.5.
    for r, (b, t) in enumerate(((6000.0, 10000.0), (9000.0, 10000.0), (7000.0, 14000.0)), 1):
        for launcher, speed, out in (("bridge", b, BRIDGE_S2S), ("torch", t, TORCH_S2S)):
            run = read_run_json("seq2seq", "gru", launcher, {**out, "tokens_per_sec": speed}, r, 8.0)
            runs.append(run)
    first = runs[0]
    assert math.isnan(first.final_perplexity) and first.final_loss == 0.2999
    assert (first.layers, first.threads, first.epochs) == (2, 1, 3)
    assert first.sec_per_epoch == pytest.approx(0.364)  # median of 0.244, 0.484: epoch 1 left out
    assert runs[1].threads == 1 and runs[1].final_loss == 0.2840
    bridge, torch = summarize(runs, SEQ2SEQ_BASELINE)
    assert (bridge.launcher, torch.launcher) == ("bridge", "torch")
    assert bridge.ratio_rounds == pytest.approx([0.6, 0.9, 0.5])
    assert (bridge.ratio, bridge.ratio_min, bridge.ratio_max) == pytest.approx((0.6, 0.5, 0.9))
    assert (bridge.tokens_per_sec, bridge.tokens_per_sec_min, bridge.tokens_per_sec_max) == (7000.0, 6000.0, 9000.0)
    assert torch.ratio is None and torch.final_loss == 0.2840
    assert bridge.to_dict()["final_perplexity"] is None and bridge.to_dict()["final_loss"] == 0.2999
    assert BenchRow.from_dict(bridge.to_dict()) == bridge  # null is NaN again
    table = format_seq2seq(runs)
    header = table.splitlines()[0]
    assert "loss" in header and "perplexity" not in header and "/torch" in header
    assert "0.600" in table and "0.50-0.90" in table and "6,000-9,000" in table and "0.2999" in table
    assert table.splitlines()[-1].startswith("no java row: plain java (djlbridge.cli.Main)")
    # The language model's JSON still must say its perplexity.
    lm = {k: v for k, v in BRIDGE_S2S.items() if k != "final_loss"}
    with pytest.raises(BenchError, match="without 'final_perplexity'"):
        read_run_json("gru", "scratch", "java", lm)


@pytest.mark.subprocess
def test_seq2seq_bench_flags_are_one_line(fra: Path) -> None:
    for args, line in (
        (["--models", "gru"], "--models does not apply to --section 9.7 (the model is the GRU encoder-decoder)"),
        (["--clip", "2"], "--clip does not apply to section 9.7 (the book clips gradients at 1, fixed)"),
        (["--launchers", "bridge,java"], "--launchers java with --section 9.7: plain java"),
        (["--torch", "/no/such/python"], "--torch /no/such/python: no such file"),
    ):
        proc = run_cli(["bench", "--section", "9.7", "--data", str(fra), *args])
        assert proc.returncode == 1 and proc.stdout == "", args
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith(f"djl-bridge: error: {line}"), proc.stderr
    proc = run_cli(["bench", "--num-examples", "5"])
    assert proc.stderr.strip() == ("djl-bridge: error: --num-examples applies only to section 9.7 "
                                   "(sequence to sequence): add --section 9.7")


@pytest.mark.subprocess
@pytest.mark.slow
def test_tiny_seq2seq_bench_row_of_the_bridge(fra: Path, tmp_path: Path) -> None:
    saved = tmp_path / "s2s.json"
    proc = run_cli(["bench", "--section", "9.7", "--json", "--rounds", "2", "--epochs", "2",
                    "--num-examples", "60", "--hidden", "8", "--embed", "8", "--batch-size", "16",
                    "--threads", "1", "--data", str(fra), "--save", str(saved)])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert json.loads(saved.read_text()) == out
    (row,) = out["rows"]  # no --torch: the bridge's row alone, no ratio
    assert (row["model"], row["impl"], row["launcher"], row["rounds"]) == ("seq2seq", "gru", "bridge", 2)
    assert row["ratio"] is None and row["final_perplexity"] is None
    assert 0 < row["final_loss"] < 1 and row["tokens_per_sec"] > 0 and row["peak_rss_mb"] > 10
    assert row["tokens_per_sec_min"] <= row["tokens_per_sec"] <= row["tokens_per_sec_max"]
    assert row["layers"] == 2 and row["epochs"] == 2
    runs = out["runs"]
    assert [(r["round"], r["launcher"], r["threads"]) for r in runs] == [(1, "bridge", 1), (2, "bridge", 1)]
    # Same seed, same settings, fresh processes: the same training.
    assert runs[0]["final_loss"] == runs[1]["final_loss"]
    assert proc.stderr.count("bench: [") == 2 and "seq2seq bridge" in proc.stderr


@pytest.mark.subprocess
@pytest.mark.skipif(not TORCH_PYTHON, reason="set DJL_BRIDGE_TORCH_PYTHON to a python with torch")
def test_tiny_seq2seq_bench_against_torch(fra: Path) -> None:
    # Optional: both launchers for real at tiny settings; the ratio is the round's own.
    from djl_bridge.bench import SEQ2SEQ_BASELINE, Seq2SeqBenchConfig, run_seq2seq_bench
    from djl_bridge.seq2seq_config import Seq2SeqConfig

    assert TORCH_PYTHON is not None
    cfg = Seq2SeqConfig(epochs=2, num_examples=60, hidden=8, embed=8, batch_size=16, data=fra,
                        device="cpu")
    runs = run_seq2seq_bench(Seq2SeqBenchConfig(train=cfg, rounds=1, threads=1,
                                                torch_python=Path(TORCH_PYTHON)))
    assert [r.launcher for r in runs] == ["bridge", "torch"]
    assert all(r.threads == 1 and r.epochs == 2 and 0 < r.final_loss < 1 for r in runs)
    bridge, torch = summarize(runs, SEQ2SEQ_BASELINE)
    assert bridge.ratio == pytest.approx(runs[0].tokens_per_sec / runs[1].tokens_per_sec)
