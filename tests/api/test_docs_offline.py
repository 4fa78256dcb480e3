"""/docs and /redoc work on a network without internet: every script, style and icon they load
comes from the API itself."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import Api

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize(("page", "script"), [("/docs", "swagger-ui-bundle.js"),
                                              ("/redoc", "redoc.standalone.js")])  # fmt: skip
def test_the_docs_load_nothing_from_outside_the_api(api: Api, page: str, script: str) -> None:
    answer = api.http.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert "http://" not in html
    assert "https://" not in html
    loaded = [a or b for a, b in ASSET.findall(html)]
    assert f"/docs-assets/{script}" in loaded
    assert "/openapi.json" in html
    for path in loaded:
        assert path.startswith("/"), path
        asset = api.http.get(path)
        assert asset.status_code == 200, path
        assert len(asset.content) > 1000, path
    spec = api.http.get("/openapi.json")
    assert spec.status_code == 200
    assert "/v1/claims/{claim_id}/package" in spec.json()["paths"]


def test_an_asset_the_docs_do_not_have_is_not_found(api: Api) -> None:
    for path in ("/docs-assets/nothing.js", "/docs-assets/../api/app.py", "/docs-assets/%2e%2e/x"):
        answer = api.http.get(path)
        assert answer.status_code == 404, path
