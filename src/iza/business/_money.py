"""Money as integer minor units plus a currency code; no floats anywhere near a total.

Stripe sends amounts in the currency's smallest unit: cents for USD, but whole yen for JPY
(a *zero-decimal* currency) and thousandths for the three-decimal currencies. Converting
between a human amount ("12.50") and minor units therefore needs the currency's exponent;
getting it wrong is a 100x error, so unknown codes are refused rather than guessed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from iza.errors import InputError

__all__ = ["ZERO_DECIMAL", "exponent", "format_minor", "normalise_currency", "parse_amount"]

#: Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL = frozenset({
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
})
_THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})


def normalise_currency(code: str) -> str:
    """Lower-case ISO 4217 code as Stripe writes it; anything but three letters is refused."""
    c = (code or "").strip().lower()
    if len(c) != 3 or not c.isalpha():
        raise InputError(f"{code!r} is not a currency code",
                         fix="use a three-letter ISO 4217 code such as usd, eur or jpy")
    return c


def exponent(currency: str) -> int:
    """Digits after the decimal point in the currency's minor unit."""
    c = normalise_currency(currency)
    if c in ZERO_DECIMAL:
        return 0
    if c in _THREE_DECIMAL:
        return 3
    return 2


def parse_amount(text: str, currency: str) -> int:
    """``"12.50"`` USD → ``1250``; ``"1000"`` JPY → ``1000``. More decimals than the currency has
    are an error, not a silent rounding."""
    exp = exponent(currency)
    raw = (text or "").strip().replace(",", "").replace("_", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InputError(f"{text!r} is not an amount",
                         fix="write amounts as plain numbers such as 12.50") from None
    if not value.is_finite():
        raise InputError(f"{text!r} is not an amount", fix="write a finite number")
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise InputError(
            f"{text!r} has more decimals than {currency.upper()} allows ({exp})",
            fix=f"round the amount to {exp} decimal place(s)")
    return int(scaled.to_integral_value(ROUND_HALF_EVEN))


def format_minor(amount_minor: int, currency: str) -> str:
    """``1250, "usd"`` → ``"12.50 USD"``; ``1000, "jpy"`` → ``"1000 JPY"``."""
    exp = exponent(currency)
    value = Decimal(amount_minor).scaleb(-exp)
    return f"{value:.{exp}f} {currency.upper()}"
