"""The `ledger` command: serve (and more subcommands as the ledger grows)."""

from __future__ import annotations

import argparse

import uvicorn

from api.app import create_app
from api.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ledger", description="Service-episode ledger")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", help="address to bind (default: LEDGER_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: LEDGER_PORT or 8000)")
    args = parser.parse_args(argv)

    if args.command == "serve":
        settings = Settings()
        host = args.host or settings.host
        port = args.port or settings.port
        print(f"Ledger API on http://{host}:{port}  (docs: http://{host}:{port}/docs)", flush=True)
        uvicorn.run(create_app(settings), host=host, port=port)


if __name__ == "__main__":
    main()
