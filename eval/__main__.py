"""``python -m eval COMMAND [options] --json OUT``

Commands are modules exposing ``add_arguments(parser)`` and ``run(args) -> dict``;
the result is printed and, with ``--json``, written to a file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from pathlib import Path

COMMANDS: dict[str, tuple[str, str]] = {
    "retrieval": ("eval.retrieval", "retrieval accuracy and latency on a BEIR-layout dataset"),
    "fusion": ("eval.fusion", "choose the fusion weight leave-one-dataset-out over several BEIR datasets"),
    "scale": ("eval.scale_bench", "search latency at 100k synthetic chunks vs the naive combination"),
    "chat": ("eval.chat", "intent accuracy and slot F1 on the labelled set"),
    "answers": ("eval.answers", "end-to-end answer quality on realistic conversations"),
    "facts": ("eval.facts", "customer facts (name, industry, ROI figures) read from one message"),
    "load": ("eval.load", "end-to-end turn latency over real WebSockets"),
    "rebates": ("eval.rebates_bench", "rebate statement latency with 10,000 orders"),
    "ops": ("eval.ops", "risk alerts vs the planted patterns (recall, precision), full and incremental eval time"),
    "handoff": ("eval.handoff", "requester<->expert relay latency over real WebSockets"),
    "web": ("eval.web", "chat page first paint and JS+CSS bytes in headless Chromium"),
    "remote": ("eval.remote", "remote-assist video calls (fake camera): set-up and annotation latency"),
    "signin-storm": ("eval.signin_storm", "serving-process memory under 200 parallel failed sign-ins"),
    "chaos": ("eval.chaos", "kill -9 the service during chat turns: every acknowledged message answered once"),
    "failover": ("eval.failover", "SIGKILL one of two instances (PostgreSQL + Redis): clients resume on the other"),
    "reindex": ("eval.reindex", "FAQ edits published under load: publish to new answer, no failed turn at switches"),
    "roleplay": ("eval.roleplay", "role-play rubric verdicts vs hand labels (agreement), scoring latency"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    argv = sys.argv[1:] if argv is None else argv
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] not in COMMANDS:
        parser.parse_args(argv)  # prints usage / error
        return 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    cmd = argparse.ArgumentParser(prog=f"python -m eval {argv[0]}", description=COMMANDS[argv[0]][1])
    cmd.add_argument("--json", type=Path, help="write the result as JSON to this file")
    module.add_arguments(cmd)
    args = cmd.parse_args(argv[1:])
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = module.run(args)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
