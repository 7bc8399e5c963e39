"""ISO 4217 currency codes, and the limits Stripe puts on amounts."""

from __future__ import annotations

from decimal import Decimal

# Active ISO 4217 alphabetic codes (list published by the ISO 4217 maintenance agency),
# excluding fund codes and precious metals, which no price can be in.
_ISO_CODES = """
    aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd
    btn bwp byn bzd cad cdf chf clp cny cop crc cuc cup cve czk djf dkk dop dzd egp ern
    etb eur fjd fkp gbp gel ghs gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr iqd irr
    isk jmd jod jpy kes kgs khr kmf kpw krw kwd kyd kzt lak lbp lkr lrd lsl lyd mad mdl
    mga mkd mmk mnt mop mru mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen
    pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sdg sek sgd shp sle sll sos srd
    ssp stn svc syp szl thb tjs tmt tnd top try ttd twd tzs uah ugx usd uyu uzs ves vnd
    vuv wst xaf xcd xcg xof xpf yer zar zmw zwg zwl
"""
ISO_4217: frozenset[str] = frozenset(_ISO_CODES.split())

# docs.stripe.com/currencies: amounts are in the currency's smallest unit; for these
# zero-decimal currencies that is the major unit itself (1000 jpy is 1,000 yen), and for the
# three-decimal ones a thousandth (1000 bhd is 1.000 dinar).
ZERO_DECIMAL: frozenset[str] = frozenset(
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
    ]
)
THREE_DECIMAL: frozenset[str] = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])


def minor_units_per_major(currency: str) -> int:
    """How many of the amounts Stripe takes make one unit of `currency` (1, 100 or 1000)."""
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 1
    return 1000 if code in THREE_DECIMAL else 100


# Stripe refuses a unit amount above eight digits in the minor unit and more than twelve
# decimal places in a decimal amount.
MAX_UNIT_AMOUNT = Decimal(99_999_999)
MAX_DECIMAL_PLACES = 12


def amount_problem(amount: Decimal) -> str | None:
    """Why Stripe would refuse this amount (in minor units), or None."""
    if amount < 0:
        return "amount must not be negative"
    if amount > MAX_UNIT_AMOUNT:
        return f"amount {amount} exceeds Stripe's maximum of {MAX_UNIT_AMOUNT} minor units"
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMAL_PLACES:
        return f"amount {amount} has more than {MAX_DECIMAL_PLACES} decimal places"
    return None
