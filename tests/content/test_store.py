"""The knowledge base as versioned records (assistant/content/store.py), on SQLite and
PostgreSQL: seeding, drafts and optimistic saves, publishing, rollback, all-or-nothing
imports, and the export that round-trips byte for byte."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from assistant.content.loader import load_corpus
from assistant.content.store import (
    ContentConflictError,
    ContentInvalidError,
    ContentStateError,
    ContentStore,
    ImportRefusedError,
    ItemRef,
    parse_yaml,
)
from assistant.content.tables import ContentVersion
from assistant.storage.db import Database, migrate
from tests.conftest import FIXTURE_CORPUS


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> ContentStore:
    migrate(database_url)
    seed = tmp_path / "seed"
    shutil.copytree(FIXTURE_CORPUS, seed)
    return ContentStore(Database(database_url), base_dir=seed)


def versions(store: ContentStore) -> int:
    with store.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(ContentVersion)) or 0)


def faq_yaml(store: ContentStore, entry_id: str = "FAQ-WAR-001") -> tuple[dict, int]:
    detail = store.get("faq", entry_id)
    return parse_yaml(detail.yaml), detail.item.latest_version


def test_seed_loads_every_entry_published_once(store: ContentStore) -> None:
    corpus = load_corpus(store.base_dir)
    store.ensure_seeded()
    n = len(corpus.products) + len(corpus.scripts) + len(corpus.cases) + len(corpus.faqs) + len(corpus.lessons)
    page = store.search(limit=200)
    assert page.total == n
    assert all(i.published_version == 1 and i.status == "published" for i in page.items)
    assert store.seed() == 0  # idempotent


def test_seed_follows_corpus_changes_only_for_entries_nobody_edited(store: ContentStore) -> None:
    store.ensure_seeded()
    body, v = faq_yaml(store)
    body["answer"] = "人工修改过的答案。"
    store.save("faq", "FAQ-WAR-001", body, base_version=v, author="u-erin")
    path = store.base_dir / "faq" / "faq.yaml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for e in entries:
        e["answer"] = e["answer"] + "（新版种子）"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    written = store.seed()
    assert written == len(entries) - 1  # every FAQ but the one a person edited
    assert store.get("faq", "FAQ-INS-001").body["answer"].endswith("（新版种子）")
    assert store.get("faq", "FAQ-WAR-001").body["answer"] == "人工修改过的答案。"


def test_save_is_a_draft_and_a_stale_base_is_refused_with_nothing_lost(store: ContentStore) -> None:
    body, v = faq_yaml(store)
    body["answer"] = "第一位管理员的修改。"
    detail = store.save("faq", "FAQ-WAR-001", body, base_version=v, author="u-a", note="改质保")
    assert (detail.item.latest_version, detail.item.status, detail.item.published_version) == (v + 1, "draft", v)
    other = dict(body, answer="第二位管理员基于旧版本的修改。")
    with pytest.raises(ContentConflictError) as err:
        store.save("faq", "FAQ-WAR-001", other, base_version=v, author="u-b")
    assert err.value.current_version == v + 1
    assert store.get("faq", "FAQ-WAR-001").body["answer"] == "第一位管理员的修改。"


def test_two_saves_from_the_same_version_at_once_exactly_one_wins(store: ContentStore) -> None:
    body, v = faq_yaml(store)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def save(name: str) -> None:
        start.wait()
        try:
            store.save("faq", "FAQ-WAR-001", dict(body, answer=f"{name} 的答案。"), base_version=v, author=name)
            outcomes.append("saved")
        except ContentConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(n,)) for n in ("u-a", "u-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    assert store.get("faq", "FAQ-WAR-001").item.latest_version == v + 1


def test_invalid_bodies_name_each_field_and_write_nothing(store: ContentStore) -> None:
    body, v = faq_yaml(store)
    store.ensure_seeded()
    before = versions(store)
    bad = dict(body, category="nonsense", answer="")
    with pytest.raises(ContentInvalidError) as err:
        store.save("faq", "FAQ-WAR-001", bad, base_version=v, author="u-a")
    assert {p.field for p in err.value.problems} == {"category", "answer"}
    with pytest.raises(ContentInvalidError) as err:  # a reference the corpus cannot resolve
        store.save("faq", "FAQ-WAR-001", dict(body, products=["NO-SUCH-1"]), base_version=v, author="u-a")
    assert [(p.entry_id, p.field) for p in err.value.problems] == [("FAQ-WAR-001", "products")]
    with pytest.raises(ContentInvalidError) as err:
        store.save("faq", "FAQ-WAR-001", dict(body, id="FAQ-OTHER-1"), base_version=v, author="u-a")
    assert [p.field for p in err.value.problems] == ["id"]
    assert versions(store) == before


def test_publish_supersedes_and_opens_a_release(store: ContentStore) -> None:
    body, v = faq_yaml(store)
    store.save("faq", "FAQ-WAR-001", dict(body, answer="新答案。"), base_version=v, author="u-a")
    store.submit("faq", "FAQ-WAR-001", v + 1, by="u-a")
    with pytest.raises(ContentStateError):
        store.submit("faq", "FAQ-WAR-001", v + 1, by="u-a")  # already in review
    release = store.publish([ItemRef("faq", "FAQ-WAR-001", v + 1)], by="u-b")
    assert (release.status, release.items) == ("pending", ("faq/FAQ-WAR-001@2",))
    detail = store.get("faq", "FAQ-WAR-001")
    assert detail.item.published_version == v + 1
    assert [(x.version, x.status) for x in detail.versions] == [(2, "published"), (1, "superseded")]
    with pytest.raises(ContentStateError):
        store.publish([ItemRef("faq", "FAQ-WAR-001", v + 1)], by="u-b")  # published already
    assert store.latest_release_id() == release.id


def test_materialized_corpus_holds_the_published_versions_only(store: ContentStore, tmp_path: Path) -> None:
    body, v = faq_yaml(store)
    store.save("faq", "FAQ-WAR-001", dict(body, answer="已发布的新答案。"), base_version=v, author="u-a")
    store.publish([ItemRef("faq", "FAQ-WAR-001", v + 1)], by="u-a")
    store.save(
        "faq",
        "FAQ-INS-001",
        dict(faq_yaml(store, "FAQ-INS-001")[0], answer="未发布的草稿。"),
        base_version=1,
        author="u-a",
    )
    target = tmp_path / "out"
    store.materialize(target)
    corpus = load_corpus(target)
    answers = {f.id: f.answer for f in corpus.faqs}
    assert answers["FAQ-WAR-001"] == "已发布的新答案。"
    assert answers["FAQ-INS-001"] != "未发布的草稿。"
    assert len(corpus.products) == len(load_corpus(store.base_dir).products)


def test_rollback_publishes_the_old_body_as_a_new_version(store: ContentStore) -> None:
    body, v = faq_yaml(store)
    store.save("faq", "FAQ-WAR-001", dict(body, answer="错误的答案。"), base_version=v, author="u-a")
    store.publish([ItemRef("faq", "FAQ-WAR-001", 2)], by="u-a")
    detail, release = store.rollback("faq", "FAQ-WAR-001", 1, by="u-b")
    assert detail.item.latest_version == detail.item.published_version == 3
    assert detail.body == body
    assert detail.versions[0].note == "回滚到 v1"
    assert release.items == ("faq/FAQ-WAR-001@3",)
    assert "-answer: 错误的答案。" in store.diff("faq", "FAQ-WAR-001", 2, 3)


def test_an_import_with_one_bad_row_writes_nothing_and_lists_every_bad_row(store: ContentStore) -> None:
    store.ensure_seeded()
    before = versions(store)
    rows = [
        {"id": "FAQ-NEW-001", "category": "installation", "question": "新问题一？", "answer": "新答案一。"},
        {"id": "FAQ-NEW-002", "category": "nonsense", "question": "新问题二？", "answer": "新答案二。"},
        {
            "id": "FAQ-NEW-003",
            "category": "installation",
            "question": "新问题三？",
            "answer": "答",
            "products": ["NOPE-1"],
        },
        {"id": "FAQ-NEW-001", "category": "installation", "question": "重复？", "answer": "重复。"},
    ]
    with pytest.raises(ImportRefusedError) as err:
        store.import_entries("faq", rows, by="u-a")
    assert [(p.row, p.field) for p in err.value.problems] == [(1, "category"), (2, "products"), (3, "id")]
    assert versions(store) == before
    with pytest.raises(ImportRefusedError) as err:  # schema-valid rows, one bad reference
        store.import_entries("faq", [rows[0], rows[2]], by="u-a")
    assert [(p.row, p.entry_id, p.field) for p in err.value.problems] == [(1, "FAQ-NEW-003", "products")]
    assert versions(store) == before
    report = store.import_entries("faq", [rows[0], faq_yaml(store)[0]], by="u-a")
    assert (report.created, report.updated, report.unchanged) == (1, 0, 1)
    assert report.items == (ItemRef("faq", "FAQ-NEW-001", 1),)
    assert store.get("faq", "FAQ-NEW-001").item.file == "faq/installation.yaml"


def test_export_round_trips_byte_for_byte(store: ContentStore, tmp_path: Path, database_url: str) -> None:
    body, v = faq_yaml(store)
    store.save("faq", "FAQ-WAR-001", dict(body, answer="导出前发布的答案。"), base_version=v, author="u-a")
    store.publish([ItemRef("faq", "FAQ-WAR-001", v + 1)], by="u-a")
    first = tmp_path / "first"
    n = store.export(first)
    assert n == store.search(limit=1).total
    # The export seeds an empty store (a second database) and exports to the same bytes.
    second_db = tmp_path / "second.db"
    url = f"sqlite:///{second_db}"
    migrate(url)
    other_seed = tmp_path / "other-seed"
    shutil.copytree(store.base_dir, other_seed)
    for kind_dir in ("products", "scripts", "cases", "faq", "lessons"):
        shutil.rmtree(other_seed / kind_dir)
        shutil.copytree(first / kind_dir, other_seed / kind_dir)
    other = ContentStore(Database(url), base_dir=other_seed)
    second = tmp_path / "second"
    assert other.export(second) == n
    files = sorted(p.relative_to(first) for p in first.rglob("*.yaml"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.yaml"))
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    assert "导出前发布的答案。" in (first / "faq" / "faq.yaml").read_text(encoding="utf-8")
