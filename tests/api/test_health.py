from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings


def test_the_process_answers_health_on_the_embedded_sqlite_default(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/var/ledger.sqlite3")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert (tmp_path / "var" / "ledger.sqlite3").exists()
