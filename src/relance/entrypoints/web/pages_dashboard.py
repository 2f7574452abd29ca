"""Tableau de bord: what is owed, how late, what comes in, what to do today.

The figures are those the run stored as of the working date (services.dashboard); without a
snapshot they are computed on the fly and the page offers to store them ("Recalculer").
The charts are inline SVG drawn here, server side: no script, no inline style (CSP).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from relance.entrypoints.web.deps import Ctx, page
from relance.services.dashboard import dashboard_figures, refresh_snapshot

router = APIRouter(prefix="/c/{creditor_ref}")

MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
          "nov.", "déc.")
CHART_W, CHART_H, TOP, BOTTOM, LEFT = 560, 220, 24, 28, 8


@router.get("/")
def dashboard(ctx: Ctx = Depends(page("read"))) -> Response:
    """The company's dashboard."""
    figures = dashboard_figures(ctx.conn, ctx.creditor.id, ctx.today)
    return ctx.render("dashboard.html", title="Tableau de bord", f=figures,
                      aging_chart=bar_chart(figures["buckets"]),
                      dso_chart=line_chart(figures["dso_trend"]))


@router.post("/tableau-de-bord/recalculer")
def recompute(ctx: Ctx = Depends(page("work"))) -> Response:
    """Compute the figures of the working date again and store them."""
    refresh_snapshot(ctx.conn, ctx.creditor.id, ctx.today)
    ctx.audit("dashboard.refresh", ctx.today.isoformat())
    ctx.commit()
    return ctx.redirect("/", "Tableau de bord recalculé.")


def bar_chart(buckets: list[dict[str, Any]]) -> dict[str, Any]:
    """Vertical bars of the aged balance, scaled to the largest bucket."""
    amounts = [Decimal(b["amount"]) for b in buckets]
    top = max(amounts, default=Decimal(0)) or Decimal(1)
    slot = (CHART_W - LEFT) / max(len(buckets), 1)
    usable = CHART_H - TOP - BOTTOM
    bars = []
    for i, (bucket, amount) in enumerate(zip(buckets, amounts, strict=True)):
        height = float(amount / top) * usable if amount > 0 else 0.0
        x = LEFT + i * slot
        bars.append({"x": round(x + slot * 0.15, 1), "w": round(slot * 0.7, 1),
                     "y": round(TOP + usable - height, 1), "h": round(max(height, 1.0), 1),
                     "cx": round(x + slot / 2, 1), "label": bucket["label"],
                     "amount": amount, "cls": f"b{i}"})
    return {"width": CHART_W, "height": CHART_H, "bars": bars, "base": CHART_H - BOTTOM}


def line_chart(trend: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The DSO at each month-end (simple and countback) as two lines; None without data."""
    values = [Decimal(p[k]) for p in trend for k in ("simple", "countback") if p[k] is not None]
    if not values:
        return None
    top = max(values) or Decimal(1)
    usable = CHART_H - TOP - BOTTOM
    pad = 28  # room for the first and last month labels
    step = (CHART_W - 2 * pad) / max(len(trend) - 1, 1)

    def y(value: Decimal) -> float:
        return round(TOP + usable - float(value / top) * usable, 1)

    series = []
    for key, label in (("simple", "DSO simple"), ("countback", "DSO countback")):
        dots = [{"x": round(pad + i * step, 1), "y": y(Decimal(p[key])), "value": p[key],
                 "month": p["month_end"]} for i, p in enumerate(trend) if p[key] is not None]
        series.append({"key": key, "label": label, "dots": dots,
                       "points": " ".join(f"{d['x']},{d['y']}" for d in dots)})
    labels = [{"x": round(pad + i * step, 1), "text": month_label(p["month_end"])}
              for i, p in enumerate(trend)]
    return {"width": CHART_W, "height": CHART_H, "series": series, "labels": labels,
            "base": CHART_H - BOTTOM, "top": str(top)}


def month_label(iso: str) -> str:
    """`2026-06-30` → `juin 26`."""
    day = date.fromisoformat(iso)
    return f"{MONTHS[day.month - 1]} {day.year % 100:02d}"
