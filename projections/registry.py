"""The read models by name."""

from __future__ import annotations

from projections.caseloads import Caseloads
from projections.directory import Directory
from projections.model import ReadModel
from projections.occupancy import Occupancy
from projections.outcome_facts import OutcomeFacts
from projections.outcomes import Outcomes
from projections.services import Services

READ_MODELS: dict[str, type[ReadModel]] = {
    model.name: model
    for model in (Caseloads, Directory, Occupancy, OutcomeFacts, Outcomes, Services)
}
