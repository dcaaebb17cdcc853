"""The sign-in limit in words, read from allauth's own setting so that the form and
the limit it announces cannot drift apart."""

from allauth.account import app_settings
from allauth.core.internal.ratelimit import parse_rates


def period_text(seconds: float) -> str:
    """A period in words: "5 minutes", "an hour"."""
    if seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return "an hour" if hours == 1 else f"{hours} hours"
    if seconds % 60 == 0:
        minutes = int(seconds // 60)
        return "a minute" if minutes == 1 else f"{minutes} minutes"
    return f"{int(seconds)} seconds"


def login_limit_text() -> str:
    """E.g. "after 5 wrong passwords for one account, its sign-in pauses for 5 minutes."."""
    rates = parse_rates(app_settings.RATE_LIMITS.get("login_failed"))
    per_account = [rate for rate in rates if rate.per == "key"]
    if not per_account:
        return ""
    rate = per_account[0]
    return (
        f"after {rate.amount} wrong passwords for one account, "
        f"its sign-in pauses for {period_text(rate.duration)}."
    )
