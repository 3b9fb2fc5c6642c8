"""The English-French data (issue 24): found by a path or $DJL_BRIDGE_FRA, the zip or the text,
read once, the book's SHA-256 verified, and one line for each file that is not the book's.
Tiny files made in tmp_path; the real file only where it is beside the checkout."""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from djl_bridge import nmtdata
from djl_bridge.config import CLI_NAMES
from djl_bridge.errors import DataError

from .conftest import ROOT

REAL = Path(os.environ.get(nmtdata.ENV_VAR) or ROOT.parent / "shared/data/fra-eng/fra.txt")
TINY = "Go.\tVa !\nHi.\tSalut !\nI lost.\tJ'ai perdu.\nHe's calm.\tIl est calme.\n"
#: 120 lines that pass the language check (English then French).
PAIRS = "".join(f"I am {i}.\tJe suis {i}.\n" for i in range(120))


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(nmtdata.ENV_VAR, raising=False)


def write(tmp_path: Path, content: "str | bytes", name: str = "fra.txt") -> Path:
    p = tmp_path / name
    p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return p


def refused(path: "Path | str | None", **kw: object) -> str:
    with pytest.raises(DataError) as info:
        nmtdata.read_fra(path, **kw)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    return message


def test_nothing_named_says_how_to_get_the_books_zip() -> None:
    message = refused(None)
    assert "fra-eng.zip" in message and nmtdata.ZIP_URL in message and nmtdata.ZIP_SHA1 in message
    assert "data=PATH" in message and "DJL_BRIDGE_FRA" in message
    with pytest.raises(DataError, match="--data PATH"):
        nmtdata.locate_fra(None, names=CLI_NAMES)
    with pytest.raises(DataError, match=r"Seq2SeqConfig\.data=PATH"):
        nmtdata.locate_fra(None, owner="Seq2SeqConfig")


def test_a_path_wins_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    given = write(tmp_path, TINY)
    other = write(tmp_path, TINY, "other.txt")
    monkeypatch.setenv(nmtdata.ENV_VAR, str(other))
    assert nmtdata.locate_fra(given) == given.resolve()
    assert nmtdata.locate_fra(str(given)) == given.resolve()
    assert nmtdata.locate_fra(None) == other.resolve()
    monkeypatch.setenv(nmtdata.ENV_VAR, str(tmp_path / "missing.txt"))
    assert "not found" in refused(None) and "(from DJL_BRIDGE_FRA)" in refused(None)


def test_a_directory_and_a_fifo_are_refused_without_opening(tmp_path: Path) -> None:
    assert "is a directory" in refused(tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "is a FIFO" in refused(fifo)  # opening it would block: the test would hang


def test_the_text_unverified_is_read_once_as_given(tmp_path: Path) -> None:
    fra = nmtdata.read_fra(write(tmp_path, TINY), verify=False)
    assert fra.text == TINY.encode() and fra.lines == 4 and not fra.verified and not fra.from_zip


def test_the_zip_gives_its_fra_txt(tmp_path: Path) -> None:
    archive = tmp_path / "fra-eng.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("fra-eng/_about.txt", "about")
        out.writestr("fra-eng/fra.txt", TINY)
    fra = nmtdata.read_fra(archive, verify=False)
    assert fra.from_zip and fra.text == TINY.encode()
    without = tmp_path / "other.zip"
    with zipfile.ZipFile(without, "w") as out:
        out.writestr("fra-eng/_about.txt", "about")
    assert "a zip without fra.txt" in refused(without, verify=False)
    damaged = write(tmp_path, archive.read_bytes()[:200], "cut.zip")
    assert "damaged or truncated zip" in refused(damaged, verify=False)


@pytest.mark.parametrize("content, expected", [
    (b"", "is empty"),
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "NUL bytes (a binary file?)"),
    (b"Go.\tVa \xff!\n", "not UTF-8 text (invalid byte 0xff at offset 7"),
    ("Go.\tVa !\nHi. Salut !\n", "line 2 has no tab"),
    ("Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272\n",
     "line 1 has 3 columns, not 2 (newer copies add an attribution column"),
    ("Go.\tVa !\nHi.\tSal", "looks truncated"),
    ("".join(f"I am {i}.\tIch bin {i}.\n" for i in range(120)),
     "does not look like English<TAB>French: 100% of first columns"),
    ("".join(f"Je suis {i}.\tI am {i}.\n" for i in range(120)), "columns swapped?"),
])
def test_a_file_that_is_not_the_books_gets_one_line(tmp_path: Path, content: "str | bytes",
                                                    expected: str) -> None:
    assert expected in refused(write(tmp_path, content), verify=False)


def test_few_lines_skip_the_language_check_many_pass_it(tmp_path: Path) -> None:
    assert nmtdata.read_fra(write(tmp_path, "Eins\tUn\n"), verify=False).lines == 1
    assert nmtdata.read_fra(write(tmp_path, PAIRS), verify=False).lines == 120


def test_verify_refuses_another_file_and_names_the_way_round(tmp_path: Path) -> None:
    path = write(tmp_path, PAIRS)
    message = refused(path)
    assert "is not the book's fra.txt (SHA-256" in message and "120 lines of 167130" in message
    assert "verify_data=False" in message
    with pytest.raises(DataError, match="--no-verify-data"):
        nmtdata.read_fra(path, names=CLI_NAMES)


@pytest.mark.skipif(not REAL.is_file(), reason="fra.txt not beside the checkout")
def test_the_books_file_verifies_and_a_cut_copy_does_not(tmp_path: Path) -> None:
    fra = nmtdata.read_fra(REAL)
    assert fra.verified and fra.lines == nmtdata.LINES and len(fra.text) == nmtdata.SIZE
    assert fra.sha256 == nmtdata.SHA256
    lines = fra.text.split(b"\n")
    cut = write(tmp_path, b"\n".join(lines[:1000]) + b"\n")
    assert "1000 lines of 167130: truncated" in refused(cut)
    assert "doctor" not in nmtdata.doctor_line(REAL) and "tatoeba.org" in nmtdata.doctor_line(REAL)


def test_the_doctor_row(tmp_path: Path) -> None:
    from djl_bridge import doctor

    spec = [s for s in doctor.CHECKS if s.probe is doctor.check_fra]
    assert spec
    quiet = doctor.run_checks(checks=spec).checks[0]
    assert quiet.ok and "none named" in quiet.detail and "--fra PATH" in quiet.detail
    bad = doctor.run_checks(checks=spec, fra_path=write(tmp_path, "Go.\tVa !\tx\n")).checks[0]
    assert not bad.ok and "has 3 columns" in bad.detail
    if REAL.is_file():
        good = doctor.run_checks(checks=spec, fra_path=REAL).checks[0]
        assert good.ok and "verified" in good.detail and "CC-BY 2.0 FR" in good.detail
