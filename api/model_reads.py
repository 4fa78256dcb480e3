"""Reading a read model over HTTP: wait for the position a client wrote at, answer JSON or CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import components
from api.history import plain
from api.problems import ProblemError
from projections.model import ReadModel
from projections.read_your_writes import wait_for

MinPosition = Annotated[
    int | None, Query(ge=0, description="Wait (bounded) until the read model reached this position")
]


def reading_of(request: Request, name: str, min_position: int | None) -> tuple[ReadModel, Any]:
    """The read model, and a reading of it that has reached `min_position`."""
    state = components(request)
    model = state.models[name]
    if min_position:
        if min_position > (state.ledger.recorder.max_notification_id() or 0):
            raise ProblemError(
                422, "position_unknown", "min_position is beyond the end of the log",
                f"no command has answered position {min_position} yet",
            )  # fmt: skip
        wait_for(model, min_position, timeout=state.settings.read_wait_seconds)
    return model, model.reading()


def answer(
    request: Request,
    body: dict[str, Any],
    rows: list[dict[str, Any]] | None = None,
    footer: str | None = None,
) -> Response:
    """JSON, or CSV of `rows` when the client asks for it (then `footer` after an empty line)."""
    if rows is not None and "text/csv" in request.headers.get("accept", ""):
        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        if footer:
            out.write(f"\n# {footer}\n")
        return Response(
            out.getvalue(), media_type="text/csv", headers={"X-Log-Position": str(body["position"])}
        )
    return JSONResponse(plain(body))
