"""``python -m assistant serve [--host H] [--port P]``"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from assistant.api.app import create_app
from assistant.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP + WebSocket service (OpenAPI docs at /docs)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # uvicorn closes open WebSockets with 1012 (service restart) on shutdown.
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        ws="websockets",
        timeout_graceful_shutdown=5,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
