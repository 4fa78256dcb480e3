"""Erased participants listed in a file outside the database, to erase them again after a restore.

A backup taken before an erasure still holds the person's key. The list is what a restored copy
is made to forget again with (`ledger erasures reapply`): one line per erasure, the participant's
id (random, no personal data), when, and the request that asked for it, tab-separated.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from domain.base import Actor, NotFoundError
from domain.commands import Context
from domain.ledger import Ledger
from domain.participant import Participant, ParticipantErasedError
from domain.personal_data import personal_data_id_for
from domain.sealing import KeyRing
from store import cooperative
from store.keyring import KeyNotDestroyedError, SqlKeyRing

# A request id is the client's X-Request-ID when it sends one: only a plain token is copied.
PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")
REAPPLIER = "ledger erasures reapply"


@dataclass(frozen=True)
class Listed:
    """One line of the list."""

    participant_id: UUID
    at: str
    request_id: str


class ErasureList:
    """An append-only file; each line is on disk (fsync) before the erasure is acknowledged."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, participant_id: UUID, request_id: str) -> None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        request = request_id if PLAIN_ID.fullmatch(request_id) else "-"
        line = f"{participant_id}\t{at}\t{request}\n".encode()
        with self._lock:
            new = not self.path.exists()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            if new:  # the file's name must survive a crash as well as its line
                directory = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)

    def read(self) -> list[Listed]:
        """Every line; a line that names no participant id stops the reading (ValueError), and
        so does a missing file (FileNotFoundError): a mistyped path must not look like "none"."""
        listed = []
        for number, line in enumerate(self.path.read_text().splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            try:
                participant_id = UUID(parts[0].strip())
            except ValueError:
                raise ValueError(f"{self.path}:{number}: not a participant id") from None
            at = parts[1] if len(parts) > 1 else ""
            listed.append(Listed(participant_id, at, parts[2] if len(parts) > 2 else ""))
        return listed


class ErasureNotListedError(Exception):
    """The erasure is recorded and its key destroyed, but the erasure list could not be written."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path


class ListedShredding:
    """An erasure made final: the person's key destroyed, and the erasure listed before the
    command answers; an incomplete one is said so (see domain/ports.py `Shredding`)."""

    def __init__(self, keyring: KeyRing, erasures: ErasureList) -> None:
        self.keyring = keyring
        self.erasures = erasures

    def shred(self, ctx: Context, participant_id: UUID) -> None:
        """Destroy the key and list the erasure; `KeyNotDestroyedError` if the key store could not
        be rewritten yet, `ErasureNotListedError` if the list could not be written."""
        try:
            self._destroy_and_list(ctx, participant_id)
        except OSError as error:  # the list's file: the erasure is done, but not yet listed
            raise ErasureNotListedError(self.erasures.path, error.strerror or str(error)) from error

    def _destroy_and_list(self, ctx: Context, participant_id: UUID) -> None:
        """The erasure is recorded: destroy the key, and list it (also when only the key's
        bytes may linger: a restore must erase them again too)."""
        try:
            self.keyring.destroy(personal_data_id_for(participant_id))
        except KeyNotDestroyedError:
            self._list(participant_id, ctx)
            raise
        self._list(participant_id, ctx)

    def _list(self, participant_id: UUID, ctx: Context) -> None:
        # An fsync: on the event loop, the command pauses for it.
        cooperative.blocking(self.erasures.append, participant_id, ctx.actor.request_id)


@dataclass
class Reapplied:
    """What `reapply` did: keys destroyed for every listed id, and erasures recorded again."""

    listed: int = 0
    recorded: list[UUID] = field(default_factory=list)
    unknown: list[UUID] = field(default_factory=list)


def reapply(ledger: Ledger, listed: Iterable[Listed]) -> Reapplied:
    """Erase every listed participant again (idempotent): record `Participant.Erased` where the
    log lacks it, then destroy every listed key, whether the log knows the person or not.

    Raises KeyNotDestroyedError if the key store could not be rewritten in the end.
    """
    by_id = {entry.participant_id: entry for entry in listed}
    report = Reapplied(listed=len(by_id))
    for participant_id, entry in by_id.items():
        try:
            erased = ledger.load(Participant, participant_id).erased
        except NotFoundError:
            report.unknown.append(participant_id)  # registered after the backup was taken
            continue
        if erased:
            continue
        reason = f"re-applied from the erasure list: erased {entry.at or 'earlier'}"
        try:
            # The original request's id, so the recorded event points back at it.
            actor = Actor(REAPPLIER, "admin", "" if entry.request_id == "-" else entry.request_id)
            ledger.erase_participant(Context(actor), participant_id, reason=reason)
        except ParticipantErasedError:
            continue  # erased meanwhile by someone else
        except KeyNotDestroyedError:
            pass  # recorded; the rewrite below tries again, and raises if it still cannot
        report.recorded.append(participant_id)
    # A restored copy may index a person erased after its backup: forgotten before the rewrite.
    ledger.person_index.forget(list(by_id))
    keys = [personal_data_id_for(participant_id) for participant_id in by_id]
    if isinstance(ledger.keyring, SqlKeyRing):
        ledger.keyring.destroy_all(keys)  # one rewrite of the key store for all of them
    else:
        for key in keys:
            ledger.keyring.destroy(key)
    return report
