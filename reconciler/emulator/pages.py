"""What the emulator's hosted pages share: the layout, escaping, money and redirects.

The pages themselves are Checkout (`checkout_page`) and the Billing Portal (`portal_page`),
plain HTML forms a developer or a headless browser clicks through; `hosted_pages` sends a
request to the one it names.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    pass

_LAYOUT = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ padding: .3rem .5rem; border-bottom: 1px solid #e3e8ee; text-align: left; }}
label {{ display: block; margin: .6rem 0; }}
input, select {{ font: inherit; padding: .3rem; }}
button {{ font: inherit; padding: .4rem 1rem; margin: .3rem 0; }}
.error {{ color: #df1b41; }} .note {{ color: #697386; }}
section {{ border: 1px solid #e3e8ee; border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0; }}
</style></head>
<body>
<h1>{title}</h1>
{body}
<p class="note">Emulated by reconciler: a stand-in for Stripe's hosted page, for local tests.</p>
</body></html>
"""


@dataclass(frozen=True)
class Page:
    """An HTML answer, or a redirect when `location` is set."""

    status: int
    body: str = ""
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[int, bytes, dict[str, str]]:
        headers = dict(self.headers)
        if self.location is not None:
            headers["Location"] = self.location
        return self.status, self.body.encode(), headers


def render(title: str, body: str, status: int = 200) -> Page:
    return Page(status, _LAYOUT.format(title=html.escape(title), body=body))


def redirect(location: str) -> Page:
    return Page(303, "", location)


def escape(value: Any) -> str:
    return html.escape("" if value is None else str(value))


# docs.stripe.com/currencies: zero-decimal and three-decimal currencies (the emulator keeps
# its own table: it imports nothing of the tool).
_DECIMALS = {
    **dict.fromkeys(
        [
            "bif",
            "clp",
            "djf",
            "gnf",
            "jpy",
            "kmf",
            "krw",
            "mga",
            "pyg",
            "rwf",
            "ugx",
            "vnd",
            "vuv",
            "xaf",
            "xof",
            "xpf",
        ],
        0,
    ),
    **dict.fromkeys(["bhd", "jod", "kwd", "omr", "tnd"], 3),
}


def money(amount: int | None, currency: str | None) -> str:
    """`12.00 USD`, `1,200 JPY`, `1.200 BHD` from the amount in the currency's smallest unit."""
    if amount is None:
        return ""
    places = _DECIMALS.get((currency or "").lower(), 2)
    return f"{amount / 10**places:,.{places}f} {(currency or '').upper()}"


def form_fields(body: str) -> dict[str, str]:
    """The fields of a url-encoded form body (last value wins)."""
    return {name: values[-1] for name, values in parse_qs(body).items()}
