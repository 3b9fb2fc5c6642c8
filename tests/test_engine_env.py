"""Issue 25 item 14: an MXNet environment known to compute a model wrongly is refused in one line
before the JVM starts (MXNET_MKLDNN_ENABLED=0 printed perplexity 0.000 for the concise models,
then crashed); one that only changes the numbers' last digits is noted in one line."""
from __future__ import annotations

from pathlib import Path

import pytest

from djl_bridge import ConfigError, engine_env
from djl_bridge.config import CLI_NAMES

from .conftest import run_cli

TINY = ["--epochs", "1", "--hidden", "16", "--batch-size", "4", "--num-steps", "5",
        "--max-tokens", "600", "--threads", "1"]


@pytest.mark.parametrize("value", ["0", "false", "False", " 0 "])
def test_onednn_off_is_refused_for_concise_models(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^MXNET_MKLDNN_ENABLED=.* turns MXNet's oneDNN kernels "
                                          r"off, .* or use --impl scratch$"):
        engine_env.check("concise", CLI_NAMES, {"MXNET_MKLDNN_ENABLED": value})
    note = engine_env.check("scratch", CLI_NAMES, {"MXNET_MKLDNN_ENABLED": value})
    assert note is not None and "reference kernels" in note


@pytest.mark.parametrize("env", [{}, {"MXNET_MKLDNN_ENABLED": "1"},
                                 {"MXNET_MKLDNN_ENABLED": "true"},
                                 {"MXNET_ENGINE_TYPE": "NaiveEngine"}])
def test_settings_that_change_nothing_pass_silently(env: dict[str, str]) -> None:
    assert engine_env.check("concise", CLI_NAMES, env) is None


@pytest.mark.subprocess
def test_the_cli_refuses_in_one_line_before_any_number(corpus: Path) -> None:
    proc = run_cli(["train", "--impl", "concise", "--model", "lstm", "--data", str(corpus),
                    *TINY], env={"MXNET_MKLDNN_ENABLED": "0"}, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "djl-bridge: error: MXNET_MKLDNN_ENABLED=0 turns MXNet's oneDNN kernels off, and its "
        "reference RNN kernels compute the concise models wrongly (a perplexity of 0.000, then "
        "an engine error): unset MXNET_MKLDNN_ENABLED (or set it to 1), or use --impl scratch"]


@pytest.mark.parametrize("env", [{"MXNET_MKLDNN_ENABLED": "yes"}, {"MXNET_MKLDNN_ENABLED": "off"},
                                 {"MXNET_CPU_WORKER_NTHREADS": "abc"},
                                 {"MXNET_CPU_WORKER_NTHREADS": "-3"},
                                 {"MXNET_MKLDNN_CACHE_NUM": "abc"}])
def test_values_mxnet_aborts_or_miscomputes_on_are_refused(env: dict[str, str]) -> None:
    # measured: 'terminate called ... dmlc::ParamError' (exit 134, no message), a perplexity
    # of 1.000 before an engine error, or a "could not allocate memory" for -3 threads
    for impl in ("scratch", "concise"):
        with pytest.raises(ConfigError, match=r"^MXNET_\w+='.*' is not a "):
            engine_env.check(impl, CLI_NAMES, env)


@pytest.mark.parametrize("env", [{"MXNET_MKLDNN_ENABLED": ""}, {"MXNET_MKLDNN_ENABLED": "TRUE"},
                                 {"MXNET_CPU_WORKER_NTHREADS": " 2"},
                                 {"MXNET_MKLDNN_CACHE_NUM": "-1"}])
def test_values_mxnet_reads_as_usual_pass(env: dict[str, str]) -> None:
    assert engine_env.check("concise", CLI_NAMES, env) is None


@pytest.mark.subprocess
def test_the_cli_refuses_a_value_that_aborted_the_process(corpus: Path) -> None:
    proc = run_cli(["train", "--data", str(corpus), *TINY],
                   env={"MXNET_CPU_WORKER_NTHREADS": "abc"}, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        "djl-bridge: error: MXNET_CPU_WORKER_NTHREADS='abc' is not a whole number >= 1, which "
        "MXNet needs (it ends the process or computes wrongly): fix it or unset "
        "MXNET_CPU_WORKER_NTHREADS"]
