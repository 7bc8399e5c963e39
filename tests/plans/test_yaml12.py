"""Plan files mean what YAML 1.2 (and yaml-language-server in editors) says they mean."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from reconciler.plans import load_plans
from reconciler.plans.dump import dump_product
from reconciler.plans.yamldoc import parse_yaml
from tests.plans.cases import PRICE

TEXT = [
    "Off",
    "off",
    "On",
    "yes",
    "No",
    "y",
    "n",
    "9:30",
    "1:02:03",
    "2024-01-01",
    "1_000",
    "0b101",
    "=",
    "<<",
    ".Inf.",
    "0x",
    "0o8",
    "1e",
    "True1",
    "nULL",
]
VALUES: list[tuple[str, object]] = [
    ("true", True),
    ("False", False),
    ("TRUE", True),
    ("null", None),
    ("~", None),
    ("", None),
    ("0755", 755),
    ("0o17", 15),
    ("0x1F", 31),
    ("-12", -12),
    ("+7", 7),
    ("1e5", 100000.0),
    ("1.5", 1.5),
    (".5", 0.5),
    ("-.inf", -math.inf),
    ("+.inf", math.inf),
    (".INF", math.inf),
]


def value(scalar: str) -> object:
    doc = parse_yaml(f"v: {scalar}\n")
    assert doc is not None
    return doc.data["v"]


@pytest.mark.parametrize("scalar", TEXT)
def test_plain_scalars_that_yaml_1_1_misread_stay_text(scalar: str) -> None:
    assert value(scalar) == scalar


@pytest.mark.parametrize(("scalar", "expected"), VALUES)
def test_core_schema_values(scalar: str, expected: object) -> None:
    got = value(scalar)
    assert (got, type(got)) == (expected, type(expected))


def test_nan_and_quoted_and_tagged_scalars() -> None:
    assert math.isnan(value(".nan"))  # type: ignore[arg-type]
    assert value("'true'") == "true"
    assert value("!!str 12") == "12"
    assert value("!!int '12'") == 12
    doc = parse_yaml("Off: true\nOn: 1\n")
    assert doc is not None and doc.data == {"Off": True, "On": 1}


def test_features_named_off_and_times_load_as_written(tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "basic.yaml").write_text(
        "product:\n  key: basic\n  name: Basic\nfeatures:\n  Off: true\n"
        "  Support Hours: 9:30\n  Region: no\n" + PRICE
    )
    result = load_plans(folder)
    assert [d.format() for d in result.diagnostics] == []
    assert result.plans is not None
    product = result.plans.catalog.products[0]
    assert dict(product.features) == {"Off": True, "Support Hours": "9:30", "Region": "no"}


@pytest.mark.parametrize("text", ["1e5", "0o17", "Off", "yes", "9:30", "2024-01-01", "12"])
def test_written_text_reads_back_as_text_in_yaml_1_2_and_1_1(text: str, tmp_path: Path) -> None:
    folder = tmp_path / "plans"
    folder.mkdir()
    (folder / "basic.yaml").write_text(
        "product:\n  key: basic\n  name: Basic\n  metadata: {note: placeholder}\n" + PRICE
    )
    loaded = load_plans(folder).plans
    assert loaded is not None
    written = dump_product(replace(loaded.catalog.products[0], metadata={"note": text}))
    (folder / "basic.yaml").write_text(written)
    again = load_plans(folder).plans
    assert again is not None and dict(again.catalog.products[0].metadata) == {"note": text}
    assert yaml.safe_load(written)["product"]["metadata"] == {"note": text}
