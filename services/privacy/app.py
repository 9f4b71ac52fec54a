"""Privacy's wiring: handlers → bus, the scrub and retention jobs."""

from services.privacy import jobs, tables
from services.privacy.handlers import HANDLERS
from services.privacy.settings import PrivacySettings
from services.privacy.store import PrivacyUnitOfWork
from shared.service import Job, RunningService, ServiceDefinition

NAME = "privacy"


def definition(settings: PrivacySettings) -> ServiceDefinition:
    async def retention(service: RunningService) -> None:
        await jobs.retain(service, settings)

    async def scrub(service: RunningService) -> None:
        await jobs.scrub_pending(service)

    schedule: list[tuple[float, Job]] = []
    if settings.privacy_jobs:
        schedule = [(jobs.scrub_period(settings), scrub), (jobs.retention_period(settings), retention)]
    return ServiceDefinition(
        name=NAME, metadata=tables.metadata, tables=tables.messaging, uow_class=PrivacyUnitOfWork,
        handlers=HANDLERS, jobs=schedule,
    )
