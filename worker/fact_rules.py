"""The investor-fact rules of a subscriber as people write them (pure): a minimum amount
("10亿", "5000万元", "1亿美元", or yuan as a number), stages, industries. Each error
names the field and what is accepted."""

from __future__ import annotations

from collections.abc import Iterable

from worker.facts import USD_RATE
from worker.facts.industries import tianjin_industries
from worker.facts.money import find_money
from worker.facts.stages import STAGES


def min_amount(value: object, usd_rate: float = USD_RATE) -> float | None:
    """Yuan (dollars at `usd_rate`); ValueError saying what is accepted."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value!r} is negative")
        return float(value)
    text = str(value).strip()
    if text.replace(".", "", 1).isdigit():
        return float(text)
    found = find_money(text if text.endswith(("元", "亿")) else text + "元", usd_rate)
    if len(found) != 1 or found[0].text.strip() not in (text, text + "元"):
        raise ValueError(f"{text!r} is not a sum (e.g. 10亿, 5000万元, 1亿美元, 500000000)")
    return found[0].yuan


def stages(names: Iterable[str]) -> tuple[str, ...]:
    out = []
    for name in names:
        if name not in STAGES:
            raise ValueError(f"{name!r} is not a stage (one of {'、'.join(STAGES)})")
        out.append(name)
    return tuple(dict.fromkeys(out))


def industries(names: Iterable[str]) -> tuple[str, ...]:
    known = tianjin_industries()
    out = []
    for name in names:
        industry = known.resolve(name)
        if industry is None:
            raise ValueError(f"{name!r} is not an industry (e.g. {'、'.join(known.names[:8])} …)")
        out.append(industry)
    return tuple(dict.fromkeys(out))
