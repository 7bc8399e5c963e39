"""The house style keeps modules small (80-300 lines): no module under `reconciler/` may pass
`MAX_LINES`, 400.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"
MAX_LINES = 400


def oversized(root: Path, bound: int) -> dict[str, int]:
    """Line counts of the `.py` files under `root` longer than `bound`, by relative path."""
    counts = {
        path.relative_to(root).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(root.rglob("*.py"))
    }
    return {name: lines for name, lines in counts.items() if lines > bound}


def test_no_module_of_the_package_passes_the_bound() -> None:
    assert oversized(PACKAGE, MAX_LINES) == {}, (
        f"modules over {MAX_LINES} lines: split them along their seams (the house style: 80-300 lines each)"
    )


def test_the_check_names_each_module_over_the_bound(tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    (tmp_path / "small.py").write_text("x = 1\n" * 3)
    (tmp_path / "inner" / "large.py").write_text("x = 1\n" * 5)
    (tmp_path / "notes.txt").write_text("x\n" * 9)
    assert oversized(tmp_path, 4) == {"inner/large.py": 5}
    assert oversized(tmp_path, 5) == {}
