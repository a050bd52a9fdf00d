"""Knowledge-base management over REST on a real server: roles, optimistic saves, publish
to a new answer over a real WebSocket without a restart, a failed build that leaves the old
content serving, a release picked up at start, the review queue, and the switch through
engine worker processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.content.store import ContentStore, ItemRef, dump_yaml
from assistant.settings import Settings
from assistant.storage.db import Database
from tests.api.conftest import LiveServer, bearer, free_port, make_server_settings
from tests.rebates_api.harness import ask_over_socket

CHANNELS = """\
users:
  - {username: alice, display_name: 王丽, partner: P-1, role: sales}
  - {username: erin, display_name: 何编辑, partner: P-1, role: content_admin}
"""
QUESTION = "网关的质保期是多久？"  # FAQ-WAR-001 of the fixture corpus
NEW_ANSWER = "边缘网关自 2027 年起标准质保 36 个月，自发货之日起计算。"


def content_settings(tmp_path: Path, **overrides: Any) -> Settings:
    channels = tmp_path / "content-channels.yaml"
    channels.write_text(CHANNELS, encoding="utf-8")
    return make_server_settings(
        tmp_path,
        channels_file=channels,
        content_dir=tmp_path / "content",
        content_poll_seconds=0.2,
        content_train_delay_seconds=0,
        **overrides,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    srv = LiveServer(content_settings(tmp_path), free_port())
    srv.start()
    yield srv
    srv.stop()


def ask(srv: LiveServer, token: str, text: str = QUESTION) -> str:
    return str(asyncio.run(ask_over_socket(srv, token, text))["text"])


def edit_and_publish(srv: LiveServer, token: str, answer: str, entry: str = "FAQ-WAR-001") -> dict[str, Any]:
    h = bearer(token)
    item = httpx.get(f"{srv.http}/api/content/items/faq/{entry}", headers=h).json()
    body = dict(item["body"], answer=answer)
    saved = httpx.put(
        f"{srv.http}/api/content/items/faq/{entry}",
        headers=h,
        json={"yaml": dump_yaml(body), "base_version": item["item"]["latest_version"], "note": "测试"},
    )
    assert saved.status_code == 200, saved.text
    version = saved.json()["item"]["latest_version"]
    published = httpx.post(
        f"{srv.http}/api/content/publish",
        headers=h,
        json={"items": [{"kind": "faq", "entry_id": entry, "version": version}]},
    )
    assert published.status_code == 202, published.text
    return dict(published.json())


def wait_release(srv: LiveServer, token: str, release_id: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        release = httpx.get(f"{srv.http}/api/content/releases/{release_id}", headers=bearer(token)).json()
        if release["status"] in ("live", "failed"):
            return dict(release)
        time.sleep(0.1)
    raise AssertionError(f"release {release_id} neither live nor failed after {timeout}s")


def test_only_content_admins_reach_the_content_api(server: LiveServer) -> None:
    sales = bearer(server.token("alice"))
    calls = [
        ("GET", "/api/content/items", None),
        ("GET", "/api/content/items/faq/FAQ-WAR-001", None),
        ("PUT", "/api/content/items/faq/FAQ-WAR-001", {"yaml": "id: X", "base_version": 1}),
        ("POST", "/api/content/publish", {"items": [{"kind": "faq", "entry_id": "FAQ-WAR-001", "version": 1}]}),
        ("GET", "/api/content/review", None),
        ("GET", "/api/content/export?kind=faq", None),
    ]
    for method, path, body in calls:
        r = httpx.request(method, f"{server.http}{path}", headers=sales, json=body)
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (method, path)
        assert httpx.request(method, f"{server.http}{path}", json=body).status_code == 401
    editor = bearer(server.token("erin"))
    listed = httpx.get(f"{server.http}/api/content/items", headers=editor, params={"kind": "faq", "q": "质保"}).json()
    assert [i["entry_id"] for i in listed["items"]] == ["FAQ-WAR-001"]
    assert (
        httpx.get(f"{server.http}/api/content/items/faq/NOPE-1", headers=editor).json()["code"] == "content_not_found"
    )
    bad_kind = httpx.get(f"{server.http}/api/content/items/recipes/X-1", headers=editor)
    assert bad_kind.status_code == 422 and bad_kind.json()["code"] == "validation_error"


def test_published_edit_is_answered_without_a_restart(server: LiveServer) -> None:
    editor, sales = server.token("erin"), server.token("alice")
    assert "24 个月" in ask(server, sales)
    h = bearer(editor)
    item = httpx.get(f"{server.http}/api/content/items/faq/FAQ-WAR-001", headers=h).json()
    stale = item["item"]["latest_version"]
    invalid = httpx.put(
        f"{server.http}/api/content/items/faq/FAQ-WAR-001",
        headers=h,
        json={"yaml": item["yaml"].replace("category: warranty", "category: 保修"), "base_version": stale},
    )
    assert invalid.status_code == 422
    assert [p["field"] for p in invalid.json()["problems"]] == ["category"]
    release = edit_and_publish(server, editor, NEW_ANSWER)
    conflict = httpx.put(
        f"{server.http}/api/content/items/faq/FAQ-WAR-001",
        headers=h,
        json={"yaml": item["yaml"], "base_version": stale},
    )
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "content_conflict" and conflict.json()["current_version"] == stale + 1
    done = wait_release(server, editor, release["id"])
    assert (done["status"], done["stage"], done["progress"]) == ("live", "live", 1.0)
    assert "36 个月" in ask(server, sales)
    # The editor's list of releases and the export show the same content.
    assert httpx.get(f"{server.http}/api/content/releases", headers=h).json()[0]["id"] == release["id"]
    exported = httpx.get(f"{server.http}/api/content/export", headers=h, params={"kind": "faq"})
    assert NEW_ANSWER in exported.text and exported.headers["content-type"].startswith("application/yaml")


def test_a_failed_build_keeps_the_old_content_serving_and_says_why(server: LiveServer) -> None:
    editor, sales = server.token("erin"), server.token("alice")
    content = server.settings.content_dir
    assert content is not None and not content.exists()
    content.write_text("a file where the content directory should be", encoding="utf-8")
    try:
        failed = wait_release(server, editor, edit_and_publish(server, editor, NEW_ANSWER)["id"])
    finally:
        content.unlink()
    assert failed["status"] == "failed" and failed["error"].startswith(("FileExistsError", "NotADirectoryError"))
    assert "24 个月" in ask(server, sales)
    # The next publish builds everything published so far.
    later = edit_and_publish(server, editor, "标准质保 24 个月，另可购买延保。", entry="FAQ-WAR-001")
    assert wait_release(server, editor, later["id"])["status"] == "live"
    assert "延保" in ask(server, sales)


def test_a_release_published_while_the_service_was_down_is_served_at_start(tmp_path: Path) -> None:
    settings = content_settings(tmp_path)
    first = LiveServer(settings, free_port())
    first.start()
    first.stop()
    store = ContentStore(Database(settings.database_url), base_dir=settings.corpus_dir)
    detail = store.get("faq", "FAQ-WAR-001")
    store.save("faq", "FAQ-WAR-001", dict(detail.body, answer=NEW_ANSWER), base_version=1, author="cli")
    release = store.publish([ItemRef("faq", "FAQ-WAR-001", 2)], by="cli")
    second = LiveServer(settings, free_port())
    second.start()
    try:
        assert "36 个月" in ask(second, second.token("alice"))
        assert store.release(release.id).status == "live"
    finally:
        second.stop()


def test_review_queue_holds_unanswered_and_thumbs_down_questions_with_context(server: LiveServer) -> None:
    sales, editor = bearer(server.token("alice")), bearer(server.token("erin"))
    cid = httpx.post(f"{server.http}/api/conversations", headers=sales).json()["id"]

    def turn(n: int, text: str) -> dict[str, Any]:
        r = httpx.post(
            f"{server.http}/api/conversations/{cid}/messages",
            headers=sales,
            json={"client_msg_id": f"m{n}", "text": text},
        )
        return dict(r.json()["reply"])

    turn(1, "EG-2100 功耗多少")
    wrong = turn(2, "网关的质保期是多久？")
    unknown = turn(3, "EG-2100 的 MTBF 是多少小时")
    assert unknown["grounded"] is False
    r = httpx.post(
        f"{server.http}/api/conversations/{cid}/feedback",
        headers=sales,
        json={"message_seq": wrong["seq"], "rating": "down"},
    )
    assert r.status_code == 204
    queue = httpx.get(f"{server.http}/api/content/review", headers=editor).json()["items"]
    by_source = {i["source"]: i for i in queue}
    assert by_source["unanswered"]["question"] == "EG-2100 的 MTBF 是多少小时"
    assert by_source["thumbs_down"]["question"] == "网关的质保期是多久？"
    context = by_source["unanswered"]["context"]
    assert [c["role"] for c in context][:2] == ["user", "assistant"] and context[0]["text"] == "EG-2100 功耗多少"
    suggestion = by_source["unanswered"]["suggestion"]
    assert suggestion["question"] == "EG-2100 的 MTBF 是多少小时" and suggestion["category"]
    # An editor drafts an FAQ from it (the draft leaves the queue) and dismisses the other.
    body = dict(suggestion, answer="EG-2100 的 MTBF 为 10 万小时（实验室数据）。", products=["EG-2100"])
    unknown_review = httpx.put(
        f"{server.http}/api/content/items/faq/{suggestion['id']}",
        headers=editor,
        json={"yaml": dump_yaml(body), "base_version": 0, "review_id": "unanswered:nope:1"},
    )
    assert unknown_review.status_code == 404 and unknown_review.json()["code"] == "review_not_found"
    saved = httpx.put(
        f"{server.http}/api/content/items/faq/{suggestion['id']}",
        headers=editor,
        json={"yaml": dump_yaml(body), "base_version": 0, "review_id": by_source["unanswered"]["id"]},
    )
    assert saved.status_code == 200, saved.text
    dismissed = httpx.post(f"{server.http}/api/content/review/{by_source['thumbs_down']['id']}/dismiss", headers=editor)
    assert dismissed.status_code == 204
    again = httpx.post(f"{server.http}/api/content/review/{by_source['thumbs_down']['id']}/dismiss", headers=editor)
    assert again.status_code == 404 and again.json()["code"] == "review_not_found"
    assert httpx.get(f"{server.http}/api/content/review", headers=editor).json()["items"] == []


@pytest.mark.slow
def test_engine_worker_processes_switch_to_published_content(tmp_path: Path) -> None:
    # A private NLU cache: the edited corpus's intent model must not be on disk from another test.
    srv = LiveServer(content_settings(tmp_path, engine_processes=1, nlu_cache_dir=tmp_path / "nlu"), free_port())
    srv.start(timeout=300)
    try:
        editor, sales = srv.token("erin"), srv.token("alice")
        pool = srv.runtime.engine_pool
        assert pool is not None and pool.generation == 0
        assert "24 个月" in ask(srv, sales)
        assert wait_release(srv, editor, edit_and_publish(srv, editor, NEW_ANSWER)["id"])["status"] == "live"
        assert pool.generation >= 1 and not pool.broken
        assert "36 个月" in ask(srv, sales)  # answered in the worker process
        # The new corpus's intent model is trained in the background and switched to again.
        deadline = time.monotonic() + 120
        while pool.generation < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pool.generation == 2 and not pool.local.nlu.provisional and not pool.broken
        assert "36 个月" in ask(srv, sales)
    finally:
        srv.stop()


def test_a_new_product_is_understood_by_its_model_number_after_publishing(server: LiveServer) -> None:
    """The NLU's corpus dictionaries (model numbers, parameter names) follow the switch."""
    editor, sales = server.token("erin"), server.token("alice")
    h = bearer(editor)
    before = ask(server, sales, "EG-2300 功耗多少")
    assert "7.5" not in before
    base = httpx.get(f"{server.http}/api/content/items/products/EG-2100", headers=h).json()["body"]
    params = [dict(p, value=7.5) if p["name"] == "功耗" else p for p in base["params"]]
    new = dict(base, id="EG-2300", name="高性能工业网关", name_en="High-end Gateway", params=params)
    imported = httpx.post(
        f"{server.http}/api/content/import",
        headers=h,
        json={"kind": "products", "format": "yaml", "text": dump_yaml([new])},
    )
    assert imported.status_code == 200 and imported.json()["items"] == ["products/EG-2300@1"], imported.text
    published = httpx.post(
        f"{server.http}/api/content/publish",
        headers=h,
        json={"items": [{"kind": "products", "entry_id": "EG-2300", "version": 1}]},
    )
    assert wait_release(server, editor, published.json()["id"])["status"] == "live"
    answer = ask(server, sales, "EG-2300 功耗多少")
    assert "EG-2300" in answer and "7.5" in answer


def test_an_import_with_a_bad_row_is_refused_whole(server: LiveServer) -> None:
    h = bearer(server.token("erin"))
    csv_text = (
        "id,category,question,answer,variants,products\n"
        "FAQ-CSV-001,installation,网关能装在户外吗？,需要加防护箱。,户外安装|室外能装吗,EG-2100\n"
        "FAQ-CSV-002,nonsense,第二行？,第二行答案。,,\n"
        "FAQ-CSV-003,installation,第三行？,第三行答案。,,NO-SUCH-9\n"
    )
    refused = httpx.post(
        f"{server.http}/api/content/import", headers=h, json={"kind": "faq", "format": "csv", "text": csv_text}
    )
    assert refused.status_code == 422 and refused.json()["code"] == "import_refused"
    assert [(p["row"], p["field"]) for p in refused.json()["problems"]] == [(1, "category"), (2, "products")]
    assert httpx.get(f"{server.http}/api/content/items/faq/FAQ-CSV-001", headers=h).status_code == 404
    good = csv_text.splitlines()[:2]
    ok = httpx.post(
        f"{server.http}/api/content/import", headers=h, json={"kind": "faq", "format": "csv", "text": "\n".join(good)}
    )
    assert ok.status_code == 200 and ok.json()["created"] == 1
    body = httpx.get(f"{server.http}/api/content/items/faq/FAQ-CSV-001", headers=h).json()["body"]
    assert body["variants"] == ["户外安装", "室外能装吗"] and body["products"] == ["EG-2100"]
    broken = httpx.post(f"{server.http}/api/content/import", headers=h, json={"kind": "faq", "text": "- [unclosed"})
    assert broken.status_code == 422 and broken.json()["code"] == "import_refused"
