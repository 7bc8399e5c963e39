"""Property: valid generated plans survive dump -> load -> dump -> load unchanged."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings

from reconciler.model import Catalog, Config
from reconciler.plans import load_plans
from reconciler.plans.dump import dump_config, dump_product
from tests.plans.strategies import catalogs


def write_folder(catalog: Catalog, config: Config, folder: Path) -> None:
    for product in catalog.products:
        (folder / f"{product.key}.yaml").write_text(dump_product(product), encoding="utf-8")
    (folder / "reconciler.yaml").write_text(dump_config(config), encoding="utf-8")


def load_folder(folder: Path) -> tuple[Catalog, Config]:
    result = load_plans(folder)
    assert [d.format() for d in result.diagnostics] == []
    assert result.plans is not None
    return result.plans.catalog, result.plans.config


@settings(max_examples=60, deadline=None)
@given(catalogs())
def test_dump_load_round_trip(catalog: Catalog) -> None:
    used = sorted({name for _, price in catalog.prices() for name in price.limits})
    config = Config(default_limits=dict.fromkeys(used[:2], 7), default_plan=catalog.products[0].key)
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        write_folder(catalog, config, Path(first))
        loaded, loaded_config = load_folder(Path(first))
        assert loaded == catalog
        assert loaded_config == config
        write_folder(loaded, loaded_config, Path(second))
        again, _ = load_folder(Path(second))
        assert again == loaded
        for product in catalog.products:
            name = f"{product.key}.yaml"
            assert (Path(first) / name).read_text() == (Path(second) / name).read_text()
