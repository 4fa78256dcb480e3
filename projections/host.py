"""Followers in background threads of the API process (the embedded default, on SQLite)."""

from __future__ import annotations

import threading

from projections import heartbeats
from projections.follower import Follower
from projections.status import Status


class ProjectionHost:
    """Runs followers in background threads (the embedded default: API process, SQLite)."""

    def __init__(self, followers: list[Follower], poll_interval: float = 0.05) -> None:
        self.followers = followers
        self.poll_interval = poll_interval
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        heartbeats.create_table(self.followers[0].models[0].store)
        for follower in self.followers:
            for model in follower.models:
                model.create_tables()
            thread = threading.Thread(
                target=follower.run,
                args=(self.stopping, self.poll_interval),
                name=f"projection-{follower.names}",
                daemon=True,
            )
            thread.start()
            self.threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)

    def statuses(self) -> list[Status]:
        return [status for follower in self.followers for status in follower.statuses()]
