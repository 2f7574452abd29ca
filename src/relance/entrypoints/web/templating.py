"""Page templates: a sandboxed, autoescaping Jinja2 environment with the French formats."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import PackageLoader
from jinja2.sandbox import SandboxedEnvironment

from relance.i18n import format_date, format_money, format_number, format_short_date


def _money(value: Any) -> str:
    if value is None or value == "":
        return ""
    return format_money(value if isinstance(value, Decimal) else Decimal(str(value)))


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _date(value: Any) -> str:
    return format_date(_as_date(value)) if value else ""


def _short(value: Any) -> str:
    return format_short_date(_as_date(value)) if value else ""


def _number(value: Any) -> str:
    if value is None or value == "":
        return ""
    return format_number(value if isinstance(value, int | Decimal) else Decimal(str(value)))


def templates() -> Jinja2Templates:
    """The page templates of the package (never user files: those are the documents')."""
    env = SandboxedEnvironment(loader=PackageLoader("relance.entrypoints.web", "templates"),
                               autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(money=_money, date=_date, short=_short, number=_number)
    return Jinja2Templates(env=env)
