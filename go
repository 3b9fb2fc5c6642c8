#!/usr/bin/env bash
# djl_bridge's commands. Each installs what a fresh machine lacks, builds, then runs.
#   ./go train [djl-bridge train options]   the Java text's GRU (500 epochs) with perplexity,
#                                            tokens/s and predictions
#   ./go test [pytest options]               gradle build (JUnit) + pytest: every test (CI)
#   ./go quick [pytest options]              the core loop: pytest without the slow, subprocess
#                                            and notebook tests (tests in this process, ~1 min)
#   ./go setup                               only install and build
#   ./go gpu-check [examples/gpu_check.py options]   add the cuda11 extra (CUDA 11 wheels, ~3 GB),
#                                            then train GPU vs CPU from the same weights and compare
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
PY=${PYTHON:-python3}

need_apt() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  apt-get install -y -qq "$@" >/dev/null
}

setup() {
  command -v java >/dev/null 2>&1 || need_apt openjdk-17-jdk-headless
  command -v gradle >/dev/null 2>&1 || need_apt gradle
  # test: pytest and nbclient (the tests run every notebook in a real kernel); notebook: the
  # kernel, ipywidgets and matplotlib the notebooks use.
  "$PY" -m pip install -q --disable-pip-version-check -e "$ROOT[test,plot,notebook]" 2>&1 | grep -v 'as the .root. user' || true
  "$PY" -c 'import djl_bridge, jpype, numpy, pytest, nbclient, ipykernel, ipywidgets, matplotlib' \
    || { echo "go: python install failed" >&2; exit 1; }
  # Tests and runs use the shared corpus when it sits beside the checkout (nothing is downloaded).
  if [ -z "${DJL_BRIDGE_DATA:-}" ] && [ -f "$ROOT/../shared/data/timemachine.txt" ]; then
    export DJL_BRIDGE_DATA="$ROOT/../shared/data/timemachine.txt"
  fi
}

# Debian's Gradle 4.4.1 wrapper prints `java -version` on every call; keep stderr for real errors.
run_gradle() {
  gradle "$@" 2> >(grep -v -E '^(openjdk version|OpenJDK (Runtime Environment|64-Bit Server VM))' >&2)
}

cmd=${1:-help}
[ $# -gt 0 ] && shift
case "$cmd" in
  setup)
    setup
    run_gradle -q assemble ;;
  train)
    setup
    run_gradle -q assemble
    exec "$PY" -m djl_bridge.cli train "$@" ;;
  gpu-check)
    setup
    "$PY" -m pip install -q --disable-pip-version-check -e "$ROOT[cuda11]" 2>&1 | grep -v 'as the .root. user' || true
    run_gradle -q assemble
    exec "$PY" examples/gpu_check.py "$@" ;;
  test)
    setup
    run_gradle build -q
    echo "gradle build: JUnit tests passed"
    exec "$PY" -m pytest -q "$@" ;;
  quick)
    setup
    run_gradle -q assemble
    exec "$PY" -m pytest -q -m "not slow and not subprocess and not notebook" "$@" ;;
  *)
    sed -n '2,10p' "$0"; exit 2 ;;
esac
