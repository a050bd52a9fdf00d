"""``python -m assistant serve [--host H] [--port P]``"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from assistant.api.app import create_app
from assistant.api.server import uvicorn_config
from assistant.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP + WebSocket service (OpenAPI docs at /docs)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
    settings = Settings(**overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = uvicorn.Server(uvicorn_config(create_app(settings), settings))
    server.run()
    return 0 if server.started else 3


if __name__ == "__main__":
    sys.exit(main())
