"""Housekeeping jobs: small periodic tasks the outbox sender runs between batches.

A feature registers its jobs in its `init_app` (news: publish the scheduled posts whose time
has come); bot/sender.py runs whatever is registered, so it imports no feature:

    register_job(app, "news.publish_due", publish_due_posts)

A job takes no arguments, runs in a thread inside an application context and commits its
own work; an exception is logged and the job runs again next time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

_REGISTRY_KEY = "mekendesh.housekeeping"


@dataclass(frozen=True)
class HousekeepingJob:
    name: str
    run: Callable[[], Any]

    def __call__(self) -> Any:
        return self.run()


def register_job(app: Flask, name: str, run: Callable[[], Any]) -> None:
    """Add a housekeeping job to `app` (a second job under the same name is refused)."""
    jobs: dict[str, HousekeepingJob] = app.extensions.setdefault(_REGISTRY_KEY, {})
    if name in jobs and jobs[name].run is not run:
        raise ValueError(f"housekeeping job {name!r} is already registered")
    jobs[name] = HousekeepingJob(name, run)


def jobs(app: Flask) -> list[HousekeepingJob]:
    """The jobs registered on `app`, in registration (feature) order."""
    return list(app.extensions.get(_REGISTRY_KEY, {}).values())
