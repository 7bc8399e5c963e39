"""Check emulator answers against stripe-node's TypeScript types with `tsc --strict`.

Stripe generates stripe-node's type definitions from its OpenAPI spec, one release per API
version (tools/node pins the release of the emulator's version). Each recorded JSON answer
becomes an object literal assigned to its type (`const a3: Stripe.Product = {...}`; an event
to the member of `Stripe.Event` its `type` names), so tsc reports excess properties, missing
required ones, a `null` the type does not allow and values outside an enum. Every property
sits on a line of its own; a line map turns tsc's `file(line,col)` back into the answer and
the JSON path, so a failure names the object and the field.

The one documented exception: stripe-node types decimal strings (`unit_amount_decimal`, ...)
as its client-side `Stripe.Decimal`, while the wire carries a string. A string under a key
ending in `_decimal` is written as `decimal("...")`, which only a `Decimal` field accepts.

And one narrowing of the types themselves: `data.previous_attributes` is an untyped hash in
Stripe's OpenAPI spec, which stripe-node types `Partial<T>`. Its hashes (`metadata`) carry
only the keys that changed, and a key the update added had no value before, which Stripe
shows as `null` where `T` allows only a string. Such a null is written `added_key()`
(typed `never`); top-level fields of `previous_attributes` are checked as they are.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# object -> stripe-node type, for every kind the emulator answers.
KINDS = {
    "billing.meter": "Stripe.Billing.Meter",
    "billing.meter_event": "Stripe.Billing.MeterEvent",
    "billing.meter_event_summary": "Stripe.Billing.MeterEventSummary",
    "billing_portal.configuration": "Stripe.BillingPortal.Configuration",
    "billing_portal.session": "Stripe.BillingPortal.Session",
    "checkout.session": "Stripe.Checkout.Session",
    "coupon": "Stripe.Coupon",
    "customer": "Stripe.Customer",
    "entitlements.active_entitlement": "Stripe.Entitlements.ActiveEntitlement",
    "entitlements.active_entitlement_summary": "Stripe.Entitlements.ActiveEntitlementSummary",
    "entitlements.feature": "Stripe.Entitlements.Feature",
    "invoice": "Stripe.Invoice",
    "item": "Stripe.LineItem",
    "payment_method": "Stripe.PaymentMethod",
    "price": "Stripe.Price",
    "product": "Stripe.Product",
    "product_feature": "Stripe.ProductFeature",
    "promotion_code": "Stripe.PromotionCode",
    "subscription": "Stripe.Subscription",
    "subscription_item": "Stripe.SubscriptionItem",
    "webhook_endpoint": "Stripe.WebhookEndpoint",
}
DELETED = {
    "coupon": "Stripe.DeletedCoupon",
    "customer": "Stripe.DeletedCustomer",
    "product": "Stripe.DeletedProduct",
    "product_feature": "Stripe.DeletedProductFeature",
    "webhook_endpoint": "Stripe.DeletedWebhookEndpoint",
}
# A null inside a hash of `data.previous_attributes` (not a top-level field's old value).
_ADDED_KEY = re.compile(r"\.data\.previous_attributes\.[^.\[]+\.[^.\[]+$")
_LITERAL = re.compile(r"'\{[^']*'")
_OPEN_ENUM = "export type OtherString = string & Record<never, never>;"
_DIAGNOSTIC = re.compile(r"^(?P<file>[^()\s]+)\((?P<line>\d+),(?P<col>\d+)\): error (?P<rest>.*)$")


class UnknownKind(Exception):
    """An answer whose `object` has no stripe-node type in KINDS."""


def ts_type(body: Any) -> str:
    """The stripe-node type a JSON answer must satisfy."""
    if isinstance(body, _Raw):
        return f"typeof {body}"
    if isinstance(body, dict) and set(body) == {"error"}:
        return "{ error: Stripe.StripeRawError }"
    kind = body.get("object") if isinstance(body, dict) else None
    if kind == "list":
        return f"Stripe.ApiList<{_item_type(body['data'])}>"
    if kind == "search_result":
        return f"Stripe.ApiSearchResult<{_item_type(body['data'])}>"
    if kind == "event":
        return f"Extract<Stripe.Event, {{ type: {json.dumps(body['type'])} }}>"
    table = DELETED if body.get("deleted") is True else KINDS
    if kind not in table:
        raise UnknownKind(f"no stripe-node type for object {kind!r}: {json.dumps(body)[:200]}")
    return table[kind]


def _item_type(items: list[Any]) -> str:
    kinds = sorted({ts_type(item) for item in items})
    return " | ".join(kinds) if kinds else "never"


@dataclass(frozen=True)
class Place:
    """What a line of the generated file holds: which answer, and where in its JSON."""

    answer: str
    path: str


@dataclass
class Program:
    """The generated TypeScript and, per line (1-based), the answer and path it holds."""

    text: str
    places: dict[int, Place]


def render(answers: Sequence[tuple[str, Any]]) -> Program:
    """One `const` per (label, body), each assigned to its stripe-node type."""
    lines = [
        "import Stripe from 'stripe';",
        "// Wire decimal strings, typed Stripe.Decimal by stripe-node (see module docstring).",
        "declare function decimal(wire: string): Stripe.Decimal;",
        "// A hash key an update added: null in previous_attributes (see module docstring).",
        "declare function added_key(): never;",
    ]
    places: dict[int, Place] = {}
    for index, (label, body) in enumerate(answers):
        lines.append(f"// {label}")
        writer = _Writer(lines, places, f"{label} [{_kind(body)}]")
        envelope = isinstance(body, dict) and body.get("object") in ("list", "search_result")
        if envelope and body["data"]:
            # Each item is a constant of its own type (an event: the member its `type`
            # names), then the envelope lists them.
            names = []
            for position, item in enumerate(body["data"]):
                names.append(_Raw(f"a{index}_{position}"))
                head = f"const {names[-1]}: {ts_type(item)} = "
                item_writer = _Writer(lines, places, f"{label} [{_kind(item)}]")
                item_writer.value(head, item, f"$.data[{position}]", "", ";")
            body = {**body, "data": names}
        writer.value(f"export const a{index}: {ts_type(body)} = ", body, "$", "", ";")
    return Program("\n".join(lines) + "\n", places)


class _Raw(str):
    """TypeScript written as is: the name of an item's constant inside its list."""


def _kind(body: Any) -> str:
    if isinstance(body, dict) and "object" in body:
        kind = str(body["object"])
        if kind == "event":
            kind = f"event {body.get('type')}"
        return kind + (" (deleted)" if body.get("deleted") is True else "")
    return "error" if isinstance(body, dict) and "error" in body else "?"


class _Writer:
    def __init__(self, lines: list[str], places: dict[int, Place], answer: str) -> None:
        self.lines = lines
        self.places = places
        self.answer = answer

    def _emit(self, text: str, path: str) -> None:
        self.lines.append(text)
        self.places[len(self.lines)] = Place(self.answer, path)

    def value(self, head: str, value: Any, path: str, indent: str, tail: str) -> None:
        if isinstance(value, dict) and value:
            self._emit(f"{indent}{head}{{", path)
            for key, item in value.items():
                name = json.dumps(key)
                sub = f"{path}.{key}"
                if key.endswith("_decimal") and isinstance(item, str):
                    self._emit(f"{indent}  {name}: decimal({json.dumps(item)}),", sub)
                elif item is None and _ADDED_KEY.search(sub):
                    self._emit(f"{indent}  {name}: added_key(),", sub)
                else:
                    self.value(f"{name}: ", item, sub, indent + "  ", ",")
            self._emit(f"{indent}}}{tail}", path)
        elif isinstance(value, list) and value:
            self._emit(f"{indent}{head}[", path)
            for position, item in enumerate(value):
                self.value("", item, f"{path}[{position}]", indent + "  ", ",")
            self._emit(f"{indent}]{tail}", path)
        elif isinstance(value, _Raw):
            self._emit(f"{indent}{head}{value}{tail}", path)
        else:
            self._emit(f"{indent}{head}{json.dumps(value)}{tail}", path)


@dataclass(frozen=True)
class Finding:
    """One tsc diagnostic, placed in the answer it concerns."""

    place: Place | None
    message: str

    def __str__(self) -> str:
        where = f"{self.place.answer}: {self.place.path}" if self.place else "(no answer)"
        return f"{where}: {self.message}"


def summary(findings: list[Finding]) -> list[str]:
    """Each distinct finding once, for a readable failure: list positions become `[]`, the
    literal types tsc prints become `{…}`, and the first answer showing it is named."""
    seen: dict[str, str] = {}
    for finding in findings:
        if finding.place is None:
            key = finding.message
        else:
            path = re.sub(r"\[\d+\]", "[]", finding.place.path)
            kind = finding.place.answer.rsplit(" [", 1)[-1]
            message = _LITERAL.sub("'{…}'", finding.message)
            key = f"[{kind} {path}: {message}"
        seen.setdefault(key, f"{key} (first in {finding.place.answer if finding.place else '-'})")
    return sorted(seen.values())


def typecheck(program: Program, workdir: Path, node_tools: Path) -> list[Finding]:
    """Run `tsc --strict --noEmit` on the program in `workdir`; its findings, each placed.
    The declarations are prepared once per `workdir`, so checks can share one."""
    _closed_enum_types(node_tools / "node_modules", workdir / "node_modules")
    (workdir / "answers.ts").write_text(program.text)
    config = {
        "compilerOptions": {
            "strict": True,
            "noEmit": True,
            "target": "es2022",
            "module": "nodenext",
            "moduleResolution": "nodenext",
            "types": ["node"],
            "skipLibCheck": True,
        },
        "files": ["answers.ts"],
    }
    (workdir / "tsconfig.json").write_text(json.dumps(config, indent=2))
    tsc = node_tools / "node_modules" / "typescript" / "bin" / "tsc"
    done = subprocess.run(
        ["node", str(tsc), "-p", "tsconfig.json", "--pretty", "false"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    return parse_diagnostics(done.stdout + done.stderr, program, done.returncode)


def _closed_enum_types(installed: Path, modules: Path) -> None:
    """stripe-node's declarations with every enum closed, and @types/node beside them.

    stripe-node leaves enums open (`'good' | 'service' | OtherString`) so that a value Stripe
    adds later does not break a client's build; checking the emulator, a value outside the
    pinned version's enum is a fault, so `OtherString` becomes `never` in a copy of the
    declarations (only the .d.ts files and package.json)."""
    done = modules / ".closed-enums"
    if done.exists():
        return  # made by an earlier check in this folder
    source = installed / "stripe"
    target = modules / "stripe"
    for path in source.rglob("*.d.ts"):
        copy = target / path.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    shutil.copyfile(source / "package.json", target / "package.json")
    shared = target / "cjs" / "shared.d.ts"
    text = shared.read_text()
    if _OPEN_ENUM not in text:
        raise RuntimeError(f"{shared} no longer declares {_OPEN_ENUM!r}: update node_types.py")
    shared.write_text(text.replace(_OPEN_ENUM, "export type OtherString = never;"))
    types = modules / "@types"
    if not types.exists():
        os.symlink(installed / "@types", types, target_is_directory=True)
    done.touch()


def parse_diagnostics(output: str, program: Program, returncode: int) -> list[Finding]:
    """tsc's diagnostics (a first line with the place, indented continuation lines)."""
    findings: list[tuple[Place | None, list[str]]] = []
    for line in output.splitlines():
        found = _DIAGNOSTIC.match(line)
        if found:
            at = program.places.get(int(found["line"]))
            place = at if found["file"] == "answers.ts" else None
            findings.append((place, [found["rest"]]))
        elif findings and line.strip():
            findings[-1][1].append(line.strip())
        elif line.strip():
            findings.append((None, [line.strip()]))
    if returncode != 0 and not findings:
        findings.append((None, [f"tsc exited {returncode} without diagnostics"]))
    return [Finding(place, " ".join(parts)) for place, parts in findings]
