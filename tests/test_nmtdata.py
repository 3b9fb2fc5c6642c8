"""Finding the English-French data of notebooks 9.5-9.7: a path, else $DJL_BRIDGE_FRA, else one
line that names the variable and the book's download."""
from __future__ import annotations

from pathlib import Path

import pytest

from djl_bridge.errors import DataError
from djl_bridge.nmtdata import ENV_VAR, URL, locate_fra


def test_a_path_wins_over_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    given, named = tmp_path / "given.txt", tmp_path / "named.txt"
    given.write_text("go .\tva !\n", encoding="utf-8")
    named.write_text("hi .\tsalut !\n", encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(named))
    assert locate_fra(given) == given.resolve()
    assert locate_fra(str(given)) == given.resolve()
    assert locate_fra() == named.resolve()


def test_nothing_named_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(DataError) as info:
        locate_fra()
    message = str(info.value)
    assert message == (f"no English-French data: set {ENV_VAR} to the path of fra.txt (or of "
                       f"fra-eng.zip), downloaded from {URL}")
    monkeypatch.setenv(ENV_VAR, "")  # set but empty: as unset
    with pytest.raises(DataError, match="^no English-French data"):
        locate_fra()


def test_a_missing_file_or_a_directory_is_named(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nope.txt"))
    with pytest.raises(DataError, match=rf"nope\.txt \(from {ENV_VAR}\) does not exist; set "
                                        rf"{ENV_VAR} to the path of fra\.txt"):
        locate_fra()
    with pytest.raises(DataError, match=r"\(from locate_fra\(path\)\) is a directory") as info:
        locate_fra(tmp_path)
    assert "\n" not in str(info.value)

