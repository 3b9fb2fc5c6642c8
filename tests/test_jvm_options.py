"""JVM options of the caller (``DJL_BRIDGE_JVM_OPTIONS``, ``start(jvm_options=...)``) against
the ones djl-bridge owns (issue 25 item 10): the classpath and the java launcher's own options
are one line naming the variable, and DJL stays offline whatever comes before or after."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from djl_bridge import jvm
from djl_bridge.errors import ConfigError

from .conftest import ROOT, one_error, run_cli

SMALL = ["--epochs", "1", "--hidden", "16", "--batch-size", "4", "--num-steps", "5",
         "--max-tokens", "800"]


@pytest.mark.subprocess
@pytest.mark.parametrize("value, message", [
    ("-Djava.class.path=/x", "-Djava.class.path=/x is not allowed: djl-bridge sets the classpath"),
    ("-cp /x", "-cp is not allowed: djl-bridge sets the classpath"),
    ("-Dai.djl.offline", "-Dai.djl.offline is not allowed: djl-bridge always keeps DJL offline"),
    ("-version", "-version is not allowed: it is an option of the java launcher"),
    ("--dry-run", "--dry-run is not allowed: it is an option of the java launcher"),
])
def test_options_the_bridge_owns_are_one_line(value: str, message: str, corpus: Path) -> None:
    line = one_error(run_cli(["train", *SMALL, "--data", str(corpus)],
                              env={"DJL_BRIDGE_JVM_OPTIONS": value}, timeout=300))
    assert f"DJL_BRIDGE_JVM_OPTIONS: {message}" in line


def test_offline_comes_after_the_callers_options() -> None:
    options = jvm.resolve_jvm_options(["-Xmx300m", "-Dfoo=1"])
    offline = [o for o in options if o.startswith("-Dai.djl.offline")]
    assert offline == [jvm.OFFLINE_OPTION] and options[-1] == jvm.OFFLINE_OPTION
    with pytest.raises(ConfigError, match=r"jvm_options: -Dai\.djl\.offline is not allowed"):
        jvm.resolve_jvm_options(["-Dai.djl.offline"])
    assert jvm.resolve_jvm_options(list(jvm.TUNED_JVM_OPTIONS)) == jvm.JVM_OPTIONS


def test_dj_offline_and_java_options_cannot_turn_djl_online() -> None:
    code = ("import os, djl_bridge, jpype\n"
            "djl_bridge.start()\n"
            "print(jpype.JClass('ai.djl.util.Utils').isOfflineMode(),\n"
            "      jpype.JClass('java.lang.System').getProperty('ai.djl.offline'),\n"
            "      os.environ['DJL_OFFLINE'])\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJL_OFFLINE": "false",
           "_JAVA_OPTIONS": "-Dai.djl.offline=false"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    # Was "False false"; the caller's environment is given back as it was.
    assert proc.stdout.split() == ["True", "true", "false"]
