"""Every bad plan file gives its exact located message, and `validate` exits 1 without a
traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.plans import load_plans
from tests.plans.cases import CASES, PRICE, VALID, Case


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    folder = root / "plans"
    folder.mkdir()
    for name, content in files.items():
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return folder


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_single_file_case(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, dict(case.files))
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["validate", "plans"], capsys)
    assert out.splitlines() == case.expected
    assert code == 1
    assert "Traceback" not in err
    assert err == f"plans: {len(case.expected)} error(s), 0 warning(s)\n"


def test_there_are_at_least_thirty_bad_files() -> None:
    assert len(CASES) >= 30


CONFIG = "default_plan: basic\n"


def test_duplicate_product_key_across_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = VALID.replace("basic_monthly", "other_monthly")
    write(tmp_path, {"a.yaml": VALID, "b.yaml": other})
    monkeypatch.chdir(tmp_path)
    result = load_plans("plans")
    assert [d.format() for d in result.diagnostics] == [
        "plans/b.yaml:2:8: product.key: duplicate product key 'basic' (first declared at plans/a.yaml:2)"
    ]
    assert result.plans is None


def test_duplicate_lookup_key_across_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = VALID.replace("  key: basic\n", "  key: other\n")
    write(tmp_path, {"a.yaml": VALID, "b.yaml": other})
    monkeypatch.chdir(tmp_path)
    assert [d.format() for d in load_plans("plans").diagnostics] == [
        "plans/b.yaml:5:17: prices[0].lookup_key: duplicate lookup key 'basic_monthly' (first declared at plans/a.yaml:5)"
    ]


def test_config_default_plan_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"basic.yaml": VALID, "reconciler.yaml": "default_plan: gold\n"})
    monkeypatch.chdir(tmp_path)
    assert [d.format() for d in load_plans("plans").diagnostics] == [
        "plans/reconciler.yaml:1:15: default_plan: default_plan 'gold' is not the key of any product"
    ]


def test_config_default_plan_must_not_be_an_add_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_on = VALID.replace("  key: basic\n", "  key: basic\n  add_on: true\n")
    assert add_on != VALID
    write(tmp_path, {"basic.yaml": add_on, "reconciler.yaml": "default_plan: basic\n"})
    monkeypatch.chdir(tmp_path)
    assert [d.format() for d in load_plans("plans").diagnostics] == [
        "plans/reconciler.yaml:1:15: default_plan: default_plan 'basic' is an add-on; the "
        "default plan must be a base plan"
    ]


def test_config_errors_are_located(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = (
        "urls:\n"
        "  checkout_success: not a url\n"
        "environments:\n"
        "  staging: {}\n"
        "on_store_unavailable: ignore\n"
    )
    write(tmp_path, {"basic.yaml": VALID, "reconciler.yaml": config})
    monkeypatch.chdir(tmp_path)
    assert [d.format() for d in load_plans("plans").diagnostics] == [
        "plans/reconciler.yaml:2:21: urls.checkout_success: must be an http:// or https:// URL",
        "plans/reconciler.yaml:4:3: environments.staging: unknown key 'staging' (expected one of live, test)",
        "plans/reconciler.yaml:5:23: on_store_unavailable: must be one of fail, default_plan (got 'ignore')",
    ]


def test_unused_default_limit_is_a_warning_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    product = "product:\n  key: basic\n  name: Basic\nlimits:\n  seats: 3\n" + PRICE
    config = "default_limits:\n  seats: 1\n  storage-gb: 5\n"
    write(tmp_path, {"basic.yaml": product, "reconciler.yaml": config})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["validate", "plans"], capsys)
    assert (
        out
        == "plans/reconciler.yaml:3:3: default_limits.storage-gb: warning: limit 'storage-gb' is used by no plan\n"
    )
    assert err == "plans: 2 file(s) valid, 1 warning(s)\n"
    assert code == 0


def test_every_problem_is_reported_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = "product:\n  key: basic\n  name: Basic\n  colour: red\nprices:\n  - lookup_key: a\n    amount: 100\n    currency: zzz\n"
    write(tmp_path, {"a.yaml": bad, "b.yaml": "", "c.yaml": "key: [\n"})
    monkeypatch.chdir(tmp_path)
    assert [d.format() for d in load_plans("plans").diagnostics] == [
        "plans/a.yaml:4:3: product.colour: unknown key 'colour' (expected one of active, add_on, description, images, key, marketing_features, metadata, name, proration_behavior, shippable, statement_descriptor, tax_code, unit_label, url)",
        "plans/a.yaml:8:15: prices[0].currency: unknown currency 'zzz' (not an ISO 4217 code)",
        "plans/b.yaml:1:1: the file is empty",
        "plans/c.yaml:2:1: invalid YAML: did not find expected node content",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file (it contains NUL bytes)"),
        (b"product:\n  name: caf\xe9\n", "not a UTF-8 text file (invalid byte at offset 20)"),
    ],
    ids=["binary", "latin-1"],
)
def test_unreadable_files(
    content: bytes,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(tmp_path, {"basic.yaml": content})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["validate", "plans"], capsys)
    assert out == f"plans/basic.yaml:1:1: {message}\n"
    assert err == "plans: 1 error(s), 0 warning(s)\n"
    assert code == 1


def test_missing_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["validate", "nowhere"], capsys)
    assert out == "nowhere:1:1: no such file or folder\n"
    assert code == 1
    assert "Traceback" not in err


def test_folder_without_plans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"README.md": "# notes\n", "reconciler.yaml": CONFIG})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["validate", "plans"], capsys)
    assert out == "plans:1:1: no plan files (*.yaml or *.yml) in this folder\n"
    assert code == 1


def test_single_file_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"basic.yaml": VALID})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["validate", "plans/basic.yaml"], capsys)
    assert (code, out, err) == (0, "", "plans/basic.yaml: 1 file(s) valid\n")


def test_json_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"basic.yaml": VALID.replace("currency: usd", "currency: usx")})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(["validate", "plans", "--format", "json"], capsys)
    assert code == 1
    assert json.loads(out) == {
        "valid": False,
        "files": ["plans/basic.yaml"],
        "errors": 1,
        "warnings": 0,
        "diagnostics": [
            {
                "file": "plans/basic.yaml",
                "line": 7,
                "column": 15,
                "path": "prices[0].currency",
                "severity": "error",
                "message": "unknown currency 'usx' (not an ISO 4217 code)",
            }
        ],
    }


def test_usage_error_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["validate", "--format", "xml"], capsys)
    assert code == 1
    assert "Invalid value for '--format': 'xml' is not one of 'text', 'json', 'github'." in err


def test_example_plans_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2] / "plans"
    code, out, err = run_cli(["validate", str(root)], capsys)
    assert (code, out) == (0, "")
    assert err == f"{root}: 5 file(s) valid\n"


def test_intervals_up_to_three_years_are_valid(tmp_path: Path) -> None:
    # "Maximum of three years interval allowed (3 years, 36 months, or 156 weeks)".
    prices = "".join(
        f"  - lookup_key: every_{count}_{interval}\n    amount: 100\n    currency: usd\n"
        f"    recurring: {{interval: {interval}, interval_count: {count}}}\n"
        for interval, count in (("month", 36), ("week", 156), ("year", 3), ("day", 1095))
    )
    folder = write(
        tmp_path, {"basic.yaml": "product:\n  key: basic\n  name: Basic\nprices:\n" + prices}
    )
    loaded = load_plans(folder)
    assert [d.format() for d in loaded.diagnostics] == []
    assert loaded.plans is not None
