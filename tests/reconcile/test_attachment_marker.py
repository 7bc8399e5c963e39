"""The `entitlement-features` marker: apply records on each product the Entitlements features
attached to it, so a diff reads a product's attachments (one call per product, the only way
Stripe lists them) only where the marker and the plan disagree."""

from __future__ import annotations

import hashlib
from pathlib import Path

import stripe

from reconciler.metadata import ATTACHED_FEATURES_KEY, attachment_marker
from reconciler.reconcile.apply import plan_steps
from reconciler.reconcile.changes import Change
from reconciler.reconcile.plan import Plan
from reconciler.stripe_catalog.live import LiveObject, LiveProduct
from reconciler.stripe_catalog.read_objects import recorded_attachments
from reconciler.testing import EmulatorControl
from tests.reconcile.conftest import Run
from tests.reconcile.test_objects_emulator import _apply, _in_sync, _plans


def test_the_marker_lists_sorted_lookup_keys_one_per_line() -> None:
    assert attachment_marker(["sso", "Priority Support", "sso"]) == "Priority Support\nsso"


def test_a_marker_over_500_characters_is_a_digest_of_the_list() -> None:
    names = [f"feature-{n:03}-{'x' * 60}" for n in range(8)]
    joined = "\n".join(names)
    assert len(joined) > 500
    marker = attachment_marker(reversed(names))
    assert marker == "sha256:" + hashlib.sha256(joined.encode()).hexdigest()
    assert len(marker) == 71


def _product(marker: str | None, key: str = "pro") -> LiveProduct:
    return LiveProduct(
        id="prod_1",
        created=0,
        key=key,
        terms={},
        metadata={},
        default_price_id=None,
        managed=True,
        attached_marker=marker,
    )


def _feature(name: str) -> LiveObject:
    return LiveObject("feature", f"feat_{name}", name, {}, True, True, 0, {})


FEATURES = {"sso": _feature("sso"), "audit": _feature("audit")}


def test_a_marker_matching_the_plan_vouches_for_the_attachments() -> None:
    recorded = {"pro": ("audit", "sso")}
    assert recorded_attachments(_product("audit\nsso"), recorded, FEATURES) == ("audit", "sso")
    assert recorded_attachments(_product(None), {"pro": ()}, FEATURES) == ()


def test_the_product_is_read_when_the_marker_cannot_vouch() -> None:
    assert recorded_attachments(_product("audit\nsso"), None, FEATURES) is None  # --verify
    assert recorded_attachments(_product("sso"), {"pro": ("audit", "sso")}, FEATURES) is None
    assert recorded_attachments(_product(None), {"pro": ("sso",)}, FEATURES) is None
    assert recorded_attachments(_product("sso"), {"pro": ()}, FEATURES) is None
    assert recorded_attachments(_product("sso"), {"other": ("sso",)}, FEATURES) is None
    # The marker says so, but the feature is not active in Stripe any more.
    assert recorded_attachments(_product("gone"), {"pro": ("gone",)}, FEATURES) is None


def test_apply_records_the_marker_after_attaching_and_detaching() -> None:
    after = {"name": "Pro", "metadata": {ATTACHED_FEATURES_KEY: "sso", "plan-key": "pro"}}
    plan = Plan(
        (
            Change(action="create", kind="product", identity="pro", group="pro", after=after),
            Change(
                action="create",
                kind="product_feature",
                identity="pro/sso",
                after={"product": "pro", "entitlement_feature": "sso"},
            ),
            Change(
                action="archive",
                kind="product_feature",
                identity="pro/old",
                stripe_id="prodft_1",
                owner_id="prod_1",
                before={"product": "pro", "entitlement_feature": "old"},
                after={},
            ),
        )
    )
    names = [(s.name, s.change.key) for s in plan_steps(plan)]
    assert names == [
        ("create product", "product:pro"),
        ("create product feature", "product_feature:pro/sso"),
        ("retire product feature", "product_feature:pro/old"),
        ("record attached features", "product:pro"),
    ]


def _feature_reads(emulator: EmulatorControl) -> int:
    routes = emulator.counters()["by_route"]
    return sum(n for route, n in routes.items() if "/v1/products/" in route and "features" in route)


def test_diff_reads_only_the_products_whose_marker_disagrees(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    folder = _plans(tmp_path, entitlements=True)
    _apply(run, folder)
    products = {p.metadata["plan-key"]: p for p in stripe_client.v1.products.list().data}
    assert products["pro"].metadata[ATTACHED_FEATURES_KEY] == "Priority Support"
    assert ATTACHED_FEATURES_KEY not in products["standard"].metadata

    emulator.reset_counters()
    _in_sync(run, folder)
    assert _feature_reads(emulator) == 0

    standard = folder / "standard.yaml"
    standard.write_text(
        standard.read_text().replace("Priority Support: false", "Priority Support: true", 1)
    )
    emulator.reset_counters()
    code, out, _ = run("diff", str(folder))
    assert code == 2
    assert _feature_reads(emulator) == 1  # standard only
    assert "+ product_feature standard/Priority Support" in out
    assert f'metadata.{ATTACHED_FEATURES_KEY}: (none) -> "Priority Support"' in out
    _apply(run, folder)
    product = stripe_client.v1.products.retrieve(products["standard"].id)
    assert product.metadata[ATTACHED_FEATURES_KEY] == "Priority Support"
    emulator.reset_counters()
    _in_sync(run, folder)
    assert _feature_reads(emulator) == 0


def test_verify_attachments_finds_a_feature_detached_by_hand(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    folder = _plans(tmp_path, entitlements=True)
    _apply(run, folder)
    pro = next(p for p in stripe_client.v1.products.list().data if p.metadata["plan-key"] == "pro")
    (attached,) = stripe_client.v1.products.features.list(pro.id).data
    stripe_client.v1.products.features.delete(pro.id, attached.id)

    # The marker still vouches for the attachment: the cheap diff cannot see the hand edit.
    _in_sync(run, folder)
    emulator.reset_counters()
    code, out, _ = run("diff", str(folder), "--verify-attachments")
    assert code == 2
    assert _feature_reads(emulator) == 3  # free, pro and standard
    assert "+ product_feature pro/Priority Support" in out
    _apply(run, folder, "--verify-attachments")
    (again,) = stripe_client.v1.products.features.list(pro.id).data
    assert again.entitlement_feature.lookup_key == "Priority Support"
    _in_sync(run, folder, "--verify-attachments")


def test_an_apply_failing_before_the_attachment_leaves_the_marker_stale(
    run: Run, stripe_client: stripe.StripeClient, emulator: EmulatorControl, tmp_path: Path
) -> None:
    folder = _plans(tmp_path, entitlements=True)
    _apply(run, folder)
    standard = next(
        p for p in stripe_client.v1.products.list().data if p.metadata["plan-key"] == "standard"
    )
    path = folder / "standard.yaml"
    path.write_text(
        path.read_text().replace("Priority Support: false", "Priority Support: true", 1)
    )
    emulator.faults(
        fail_requests=[
            {"method": "POST", "path_prefix": f"/v1/products/{standard.id}/features", "status": 400}
        ]
    )
    code, _, err = run("apply", str(folder), "--yes")
    assert code == 1
    assert "create product feature product_feature:standard/Priority Support failed" in err
    emulator.clear_faults()
    metadata = stripe_client.v1.products.retrieve(standard.id).metadata
    assert ATTACHED_FEATURES_KEY not in metadata

    emulator.reset_counters()
    code, out, _ = run("diff", str(folder))
    assert (code, _feature_reads(emulator)) == (2, 1)
    assert "+ product_feature standard/Priority Support" in out
    _apply(run, folder)
    _in_sync(run, folder, "--verify-attachments")
