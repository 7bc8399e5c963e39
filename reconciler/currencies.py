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
