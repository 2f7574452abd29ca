"""Tableau de bord: what is owed, how late, what comes in, what to do today."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from relance.entrypoints.web.deps import Ctx, page

router = APIRouter(prefix="/c/{creditor_ref}")


@router.get("/")
def dashboard(ctx: Ctx = Depends(page("read"))) -> Response:
    """The company's dashboard."""
    from relance.services.reports import aging

    report = aging(ctx.conn, ctx.creditor.id, ctx.today)
    return ctx.render("dashboard.html", title="Tableau de bord", aging=report)
