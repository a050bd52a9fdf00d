"""``python -m assistant serve [--host H] [--port P] [--demo]`` and
``python -m assistant users add|passwd|import``.

``serve --demo`` (what ``make run`` starts) is the demo: demo users, experts and portal
(``ASSISTANT_DEMO=1`` does the same).  Without it the service refuses to start while a
demo password or a secret written in the portals file is left, and says which.

Provisioning an instance without demo mode::

    python -m assistant users import corpus/rebates/channels.yaml   # passwords generated, shown once
    python -m assistant users add li_lei --partner P-HZ-01 --role sales --display-name 李雷
    python -m assistant users passwd li_lei --password-stdin < file

A password is generated (and printed once, on standard output) unless given on standard
input (``--password-stdin``) or in the imported file's ``password`` column.
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from assistant.logs import configure_logging
from assistant.settings import Settings
from assistant.users import ROLES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP + WebSocket service (OpenAPI docs at /docs)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--demo",
        action="store_true",
        help="demo mode: demo users and experts with the demo password, the demo portal (never expose it)",
    )
    users = sub.add_parser("users", help="provision staff accounts (instances without demo mode)")
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add", help="create a user; the password is generated and shown once")
    add.add_argument("username")
    add.add_argument("--partner", required=True, help="the channel node the user belongs to, e.g. P-HZ-01")
    add.add_argument("--role", default="sales", choices=ROLES)
    add.add_argument("--display-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd = users_sub.add_parser("passwd", help="set a new password (generated unless --password-stdin)")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    imp = users_sub.add_parser(
        "import", help="create the users of a file (channels.yaml users:, experts.yaml experts:, or CSV)"
    )
    imp.add_argument("file")
    content = sub.add_parser("content", help="export or import the knowledge base (corpus/ layout, YAML)")
    content_sub = content.add_subparsers(dest="action", required=True)
    exp = content_sub.add_parser("export", help="write the published entries as YAML files under DIR")
    exp.add_argument("dir")
    cimp = content_sub.add_parser("import", help="import every entry under a corpus-layout DIR as drafts")
    cimp.add_argument("dir")
    cimp.add_argument("--publish", action="store_true", help="publish the imported drafts as one release")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "content":
        return _content(args)
    return _users(args)


def _content(args: argparse.Namespace) -> int:
    """Export: the published entries in the corpus/ layout.  Import: every entry of a
    corpus-layout directory as a draft (all or nothing, per kind), optionally published;
    a running service picks the release up within ``content_poll_seconds``."""
    from pathlib import Path

    from assistant.content.store import KINDS, ContentInvalidError, ContentStore, ItemRef, parse_yaml
    from assistant.storage.db import Database, migrate

    settings = Settings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    migrate(settings.database_url)
    db = Database(settings.database_url)
    store = ContentStore(db, base_dir=settings.corpus_dir)
    root = Path(args.dir)
    try:
        if args.action == "export":
            print(f"{store.export(root)} entries written under {root}", file=sys.stderr)
            return 0
        refs: list[ItemRef] = []
        for kind in KINDS:
            entries = [e for path in sorted((root / kind).glob("*.y*ml")) for e in parse_yaml(path.read_text("utf-8"))]
            if not entries:
                continue
            report = store.import_entries(kind, entries, by="cli", note=f"import {root}")
            print(f"{kind}: {report.created} new, {report.updated} changed, {report.unchanged} unchanged")
            refs += report.items
        if args.publish and refs:
            release = store.publish(refs, by="cli", note=f"import {root}")
            print(f"release {release.id} published ({len(refs)} entries)")
        return 0
    except ContentInvalidError as exc:
        print(f"error: {exc.code}", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p.entry_id or '-'} [{'' if p.row is None else p.row}] {p.field}: {p.problem}", file=sys.stderr)
        return 2
    finally:
        db.dispose()


def _serve(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
    if args.demo:
        overrides["demo"] = True
    settings = Settings(**overrides)  # type: ignore[arg-type]
    configure_logging(settings.log_level)
    from assistant.api.app import create_app
    from assistant.api.server import uvicorn_config
    from assistant.startup import preflight

    problems = preflight(settings)
    if problems:
        print("The service will not start outside demo mode while demo credentials are left:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print("(`python -m assistant serve --demo` runs the demo; see README.md, Demo mode.)", file=sys.stderr)
        return 2
    if settings.demo:
        logging.getLogger("assistant").warning("demo mode is on (--demo / ASSISTANT_DEMO)")
    server = uvicorn.Server(uvicorn_config(create_app(settings), settings, log_level=settings.log_level.lower()))
    server.run()
    return 0 if server.started else 3


def _password_from_stdin() -> str:
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _users(args: argparse.Namespace) -> int:
    from assistant.storage.db import Database, migrate
    from assistant.users import UserAdminError, UserSpec, add_user, import_users, read_users_file, set_password

    settings = Settings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    migrate(settings.database_url)
    db = Database(settings.database_url)
    try:
        if args.action == "add":
            password = _password_from_stdin() if args.password_stdin else None
            spec = UserSpec(
                username=args.username,
                partner_id=args.partner,
                role=args.role,
                display_name=args.display_name,
                password=password,
            )
            results = [add_user(db, spec, demo_password=settings.demo_password)]
        elif args.action == "passwd":
            password = _password_from_stdin() if args.password_stdin else None
            results = [set_password(db, args.username, password, demo_password=settings.demo_password)]
        else:
            from pathlib import Path

            specs = read_users_file(Path(args.file))
            results = import_users(db, specs, demo_password=settings.demo_password)
    except UserAdminError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    generated = [r for r in results if r.password is not None]
    for r in results:
        state = "created" if r.created else ("password set" if args.action == "passwd" else "exists, left as is")
        print(f"{r.username}: {state}", file=sys.stderr)
    if generated:
        print("Generated passwords (shown only this once; hand each to its user):", file=sys.stderr)
        for r in generated:
            print(f"{r.username}\t{r.password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
