"""Build hook: a wheel of djl-bridge carries its Java side.

``pip wheel .`` / ``python -m build`` run ``gradle -q assemble`` here, then copy every jar of
``build/classpath.txt`` (the djl-bridge jar and its runtime dependencies, MXNet's CPU natives
included) into the wheel as ``djl_bridge/_java/lib/*.jar``, with ``djl_bridge/_java/classpath.txt``
listing them relative to itself. A user installing the wheel needs no Gradle, Maven or network.
The chapter's notebooks (``notebooks/*.ipynb``) go into the wheel as ``djl_bridge/_notebooks/``,
where ``djl-bridge notebooks DIR`` finds them (``djl_bridge.notebooks.PACKAGED``).
The editable install of a checkout (``./go setup``) skips this and keeps using
``build/classpath.txt``.

The wheel is platform-tagged: the natives jar holds linux-x86_64 libraries; the newest glibc
symbol they use is GLIBC_2.23 (libquadmath; libmxnet.so itself needs 2.14), hence
``manylinux_2_23_x86_64``. Everything else in metadata is in pyproject.toml.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools: the wheel package's
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent
PLATFORM_TAG = "manylinux_2_23_x86_64"


class BuildPyWithJava(build_py):
    """build_py that also builds the Java side with Gradle and bundles its jars."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # a checkout: jvm.find_classpath() reads build/classpath.txt
        bundle_java(Path(self.build_lib) / "djl_bridge" / "_java")
        bundle_notebooks(Path(self.build_lib) / "djl_bridge" / "_notebooks")


def bundle_java(target: Path) -> None:
    """Runs ``gradle -q assemble`` and copies the jars of ``build/classpath.txt`` to
    ``target/lib`` with a relative ``target/classpath.txt``."""
    gradle = shutil.which(os.environ.get("GRADLE", "gradle"))
    if gradle is None:
        raise SystemExit("djl-bridge: error: building the wheel needs Gradle and a JDK 11+ for the "
                         "Java side: install them (Debian: apt-get install gradle "
                         "openjdk-17-jdk-headless) or set GRADLE to the gradle executable")
    subprocess.run([gradle, "-q", "assemble"], cwd=ROOT, check=True)
    listed = [Path(line.strip()) for line in
              (ROOT / "build" / "classpath.txt").read_text(encoding="utf-8").splitlines()
              if line.strip()]
    if target.exists():
        shutil.rmtree(target)
    (target / "lib").mkdir(parents=True)
    names = []
    for jar in listed:
        shutil.copy2(jar, target / "lib" / jar.name)
        names.append(f"lib/{jar.name}")
    (target / "classpath.txt").write_text("\n".join(names) + "\n", encoding="utf-8")


def bundle_notebooks(target: Path) -> None:
    """Copies ``notebooks/*.ipynb`` (with their saved outputs) to ``target``."""
    sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not sources:
        raise SystemExit("djl-bridge: error: notebooks/*.ipynb missing: build the wheel from a "
                         "full checkout or sdist")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for notebook in sources:
        shutil.copy2(notebook, target / notebook.name)


class PlatformDistribution(Distribution):
    """Not pure Python (the jars hold native code): files go to platlib, at the wheel's root."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """Tags the wheel for linux x86_64 (the natives), any Python 3."""

    def get_tag(self) -> tuple[str, str, str]:
        return "py3", "none", PLATFORM_TAG


setup(distclass=PlatformDistribution,
      cmdclass={"build_py": BuildPyWithJava, "bdist_wheel": PlatformWheel})
