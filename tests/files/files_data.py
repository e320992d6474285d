"""異動 files of layout juki/pfbus-1 (change.csv) for the file linkage tests: made up, valid."""

from __future__ import annotations

from bus.core.identifiers import DEFAULT_ADDRESSEE_SCHEME

HEADER = "団体コード,宛名番号,異動連番,異動事由,異動年月日,届出年月日,異動後住民状態,異動後世帯番号"


def addressee(n: int) -> str:
    body = f"{n:09d}"
    return body + str(DEFAULT_ADDRESSEE_SCHEME.check_digit(body))


def change_file(rows: int = 3, code: str = "131016", start: int = 1) -> bytes:
    """A valid change file: ``rows`` 異動 rows, sorted by 宛名番号 and 異動連番."""
    lines = [HEADER]
    for i in range(start, start + rows):
        lines.append(f"{code},{addressee(i)},1,C01,20260401,20260402,1,{addressee(900000 + i)}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def broken_file() -> bytes:
    """Line 3: a date that is not a day; line 4: a reason outside the code list."""
    lines = change_file(3).decode("utf-8").split("\r\n")
    lines[2] = lines[2].replace("20260401", "20260231", 1)
    lines[3] = lines[3].replace(",C01,", ",Z99,", 1)
    return "\r\n".join(lines).encode("utf-8")


def name(suffix: str = "20260401", code: str = "131016") -> str:
    return f"juki_change_{code}_{suffix}.csv"


