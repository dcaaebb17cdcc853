import pytest
from django.db import transaction
from django.db.models import QuerySet
from pycrdt import Doc, Text

from notes import persistence
from notes.models import Note, NoteClientAuthor, NoteContributor, NoteUpdate
from notes.persistence import Batch
from notes.selectors import note_contributor_names
from notes.services import note_contributors_merge_guest, note_replace_text, note_text
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def typed_updates(words: list[str]) -> tuple[Doc, list[bytes]]:
    """A document typed word by word (with some deletions), and each edit's update."""
    doc = Doc()
    text = doc.get("content", type=Text)
    updates = []
    for i, word in enumerate(words):
        state = doc.get_state()
        text.insert(len(text) // 2 if i % 3 else 0, word + " ")
        if i % 5 == 4:
            del text[0:2]
        updates.append(doc.get_update(state))
    return doc, updates


def stored(note_id: int) -> str:
    return str(persistence.load_note_doc(note_id=note_id).get("content", type=Text))


def test_compaction_keeps_the_text_identical():
    note = Note.objects.create()
    doc, updates = typed_updates([f"w{i}" for i in range(350)])
    for update in updates:
        persistence.append_updates(note_id=note.pk, updates=[update])
    last_id = NoteUpdate.objects.filter(note=note).latest("id").id
    before = stored(note.pk)

    folded = persistence.compact(note_id=note.pk, min_rows=300)

    note.refresh_from_db()
    assert folded == 350
    assert before == str(doc.get("content", type=Text))
    assert stored(note.pk) == before
    assert note.checkpoint_seq == last_id
    assert NoteUpdate.objects.filter(note=note).count() == 0


def test_compaction_waits_for_enough_rows():
    note = Note.objects.create()
    _, updates = typed_updates(["a", "b"])
    persistence.append_updates(note_id=note.pk, updates=updates[:1])
    persistence.append_updates(note_id=note.pk, updates=updates[1:])

    assert persistence.compact(note_id=note.pk, min_rows=3) == 0
    assert NoteUpdate.objects.filter(note=note).count() == 2


def test_a_crash_between_append_and_compaction_loses_nothing(monkeypatch):
    note = Note.objects.create()
    doc, updates = typed_updates([f"w{i}" for i in range(20)])
    for update in updates[:10]:
        persistence.append_updates(note_id=note.pk, updates=[update])
    persistence.compact(note_id=note.pk)
    for update in updates[10:]:
        persistence.append_updates(note_id=note.pk, updates=[update])

    # The process dies inside the compaction, after writing the new checkpoint
    # and before deleting the folded rows: nothing of it is committed.
    class Crash(Exception):
        pass

    def crash(self):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(QuerySet, "delete", crash)
        with pytest.raises(Crash):
            persistence.compact(note_id=note.pk)

    assert NoteUpdate.objects.filter(note=note).count() == 10
    assert stored(note.pk) == str(doc.get("content", type=Text))


def test_an_update_stored_twice_is_harmless():
    # What a crash after the checkpoint write but before the log's deletion would
    # leave if it were not one transaction: the same edits in both places.
    note = Note.objects.create()
    doc, updates = typed_updates([f"w{i}" for i in range(12)])
    Note.objects.filter(pk=note.pk).update(checkpoint=doc.get_update())
    persistence.append_updates(note_id=note.pk, updates=updates)

    assert stored(note.pk) == str(doc.get("content", type=Text))


def test_compaction_keeps_an_update_whose_dependencies_are_missing():
    note = Note.objects.create()
    doc, updates = typed_updates(["alpha", "beta", "gamma"])
    persistence.append_updates(note_id=note.pk, updates=[updates[0], updates[2]])
    persistence.compact(note_id=note.pk)

    # The missing middle edit arrives after the compaction.
    persistence.append_updates(note_id=note.pk, updates=[updates[1]])

    assert stored(note.pk) == str(doc.get("content", type=Text))


def test_the_log_row_is_one_merged_micro_batch():
    note = Note.objects.create()
    doc, updates = typed_updates(["one", "two", "three"])

    persistence.append_updates(note_id=note.pk, updates=updates)

    assert NoteUpdate.objects.filter(note=note).count() == 1
    assert stored(note.pk) == str(doc.get("content", type=Text))


def test_load_reads_checkpoint_and_tail_consistently():
    note = Note.objects.create()
    doc, updates = typed_updates([f"w{i}" for i in range(6)])
    for update in updates:
        persistence.append_updates(note_id=note.pk, updates=[update])
    persistence.compact(note_id=note.pk)
    state = persistence.load_note_state(note_id=note.pk)

    assert state.tail_rows == 0
    fresh = Doc()
    fresh.apply_update(state.update)
    assert str(fresh.get("content", type=Text)) == str(doc.get("content", type=Text))


def test_unknown_note_loads_as_none():
    assert persistence.load_note_state(note_id=424242) is None


def test_seeding_from_markdown_happens_once():
    note = Note.objects.create(markdown="# Imported\n")

    first = persistence.load_note_state(note_id=note.pk)
    second = persistence.load_note_state(note_id=note.pk)

    doc = Doc()
    doc.apply_update(first.update)
    doc.apply_update(second.update)
    assert str(doc.get("content", type=Text)) == "# Imported\n"
    note.refresh_from_db()
    assert bytes(note.checkpoint) == first.update


def test_replace_text_without_an_open_room_appends_one_update():
    note = Note.objects.create()
    _, updates = typed_updates(["old", "words"])
    persistence.append_updates(note_id=note.pk, updates=updates)
    old_text = note_text(note=note)

    with transaction.atomic():
        note_replace_text(note=note, markdown="# New\n\nText")

    note.refresh_from_db()
    assert note_text(note=note) == "# New\n\nText"
    assert note.markdown == "# New\n\nText"
    assert NoteUpdate.objects.filter(note=note).count() == 2
    # The text it replaced is kept as history.
    assert list(note.revisions.values_list("markdown", flat=True)) == [old_text]


def contributors(note: Note) -> list[tuple]:
    return list(note.contributors.values_list("user", "name", "guest_key"))


def test_a_guest_named_like_an_account_is_credited_as_a_guest():
    note = Note.objects.create()
    grace = make_user(first_name="Grace", last_name="Hopper")

    persistence.record_contributor(note_id=note.pk, user_id=None, name="Grace Hopper")
    persistence.record_contributor(note_id=note.pk, user_id=grace.pk, name="Grace Hopper")
    persistence.record_contributor(
        note_id=note.pk, user_id=None, name="Grace Hopper", guest_key="browser-1"
    )
    persistence.record_contributor(note_id=note.pk, user_id=None, name="Grace Hopper")

    assert contributors(note) == [
        (None, "Grace Hopper", ""),
        (grace.pk, "Grace Hopper", ""),
        (None, "Grace Hopper", "browser-1"),
    ]
    assert note_contributor_names(note=note) == ["Grace Hopper (guest)", "Grace Hopper"]


def test_an_account_keeps_one_row_under_its_current_name():
    note = Note.objects.create()
    grace = make_user()

    persistence.record_contributor(note_id=note.pk, user_id=grace.pk, name="Grace")
    persistence.record_contributor(note_id=note.pk, user_id=grace.pk, name="Grace Hopper")

    assert contributors(note) == [(grace.pk, "Grace Hopper", "")]


def test_a_guests_credit_follows_them_into_their_account():
    first, second = Note.objects.create(), Note.objects.create()
    grace = make_user()
    persistence.record_contributor(note_id=first.pk, user_id=None, name="Gee", guest_key="k")
    persistence.record_contributor(note_id=second.pk, user_id=grace.pk, name="Grace")
    persistence.record_contributor(note_id=second.pk, user_id=None, name="Gee", guest_key="k")
    persistence.record_contributor(note_id=second.pk, user_id=None, name="Gee", guest_key="other")

    moved = note_contributors_merge_guest(guest_key="k", user_id=grace.pk, name="Grace")

    assert moved == 1
    assert contributors(first) == [(grace.pk, "Grace", "")]
    assert contributors(second) == [(grace.pk, "Grace", ""), (None, "Gee", "other")]


def test_several_notes_append_in_one_transaction_and_a_deleted_note_is_skipped():
    first, gone, last = Note.objects.create(), Note.objects.create(), Note.objects.create()
    gone_id = gone.pk
    gone.delete()
    doc_a, updates_a = typed_updates(["alpha", "beta", "gamma"])
    _, updates_b = typed_updates(["delta"])

    result = persistence.write_many(
        [Batch(first.pk, updates_a), Batch(gone_id, updates_b), Batch(last.pk, updates_b)]
    )

    assert result == [True, False, True]
    # One row per stored entry, the entry's updates merged into it.
    assert NoteUpdate.objects.filter(note=first).count() == 1
    assert NoteUpdate.objects.filter(note=last).count() == 1
    assert not NoteUpdate.objects.filter(note_id=gone_id).exists()
    assert stored(first.pk) == str(doc_a.get("content", type=Text)) == "alpbegamma ta ha "
    assert stored(last.pk) == "delta "


def test_one_write_credits_the_people_of_many_notes_in_a_constant_number_of_queries(
    django_assert_num_queries,
):
    first, second, gone = Note.objects.create(), Note.objects.create(), Note.objects.create()
    gone_id = gone.pk
    gone.delete()
    grace = make_user(first_name="Grace", last_name="Hopper")
    persistence.record_contributor(note_id=first.pk, user_id=grace.pk, name="Grace")
    persistence.record_contributor(note_id=first.pk, user_id=None, name="Gee", guest_key="k")
    before = NoteContributor.objects.get(note=first, user=grace).last_edit_at
    _, updates = typed_updates(["alpha", "beta"])

    # A savepoint and its release, the notes, the accounts, the log rows, the notes'
    # contributors, the credits renewed, the credits added, the client authors added.
    with django_assert_num_queries(9):
        result = persistence.write_many(
            [
                Batch(
                    first.pk,
                    updates,
                    contributors=[(grace.pk, "Grace Hopper", ""), (None, "Gee", "k")],
                    client_authors=[(11, grace.pk, "", "Grace Hopper")],
                ),
                Batch(
                    second.pk,
                    [],
                    # The same guest twice in one batch, and a guest named like an account.
                    contributors=[(None, " Bo ", "k3"), (None, "Bo", "k3"), (None, "Grace", "")],
                    client_authors=[(12, None, "k3", "Bo"), (11, None, "k3", "Bo")],
                ),
                Batch(gone_id, updates, contributors=[(None, "Lost", "k9")]),
            ]
        )

    assert result == [True, False, False]
    assert contributors(first) == [(grace.pk, "Grace Hopper", ""), (None, "Gee", "k")]
    assert contributors(second) == [(None, "Bo", "k3"), (None, "Grace", "")]
    assert NoteContributor.objects.get(note=first, user=grace).last_edit_at > before
    assert not NoteContributor.objects.filter(note_id=gone_id).exists()
    assert sorted(NoteClientAuthor.objects.values_list("note", "client_id", "user", "name")) == [
        (first.pk, 11, grace.pk, "Grace Hopper"),
        (second.pk, 11, None, "Bo"),
        (second.pk, 12, None, "Bo"),
    ]
    assert NoteUpdate.objects.filter(note=first).count() == 1
    assert NoteUpdate.objects.filter(note=second).count() == 0


def test_a_client_id_keeps_its_first_author_across_writes():
    note = Note.objects.create()
    persistence.write_many([Batch(note.pk, [], client_authors=[(5, None, "k", "Ann")])])
    persistence.write_many([Batch(note.pk, [], client_authors=[(5, None, "k2", "Bob")])])

    assert list(NoteClientAuthor.objects.values_list("client_id", "name")) == [(5, "Ann")]


def test_an_account_deleted_meanwhile_is_not_credited_and_holds_back_no_one():
    first, second = Note.objects.create(), Note.objects.create()
    gone = make_user()
    gone_id = gone.pk
    gone.delete()
    _, updates = typed_updates(["alpha"])

    result = persistence.write_many(
        [
            Batch(
                first.pk,
                updates,
                contributors=[(gone_id, "Gone", ""), (None, "Ann", "k")],
                client_authors=[(9, gone_id, "", "Gone"), (10, None, "k", "Ann")],
            ),
            Batch(second.pk, updates),
        ]
    )

    assert result == [True, True]
    assert contributors(first) == [(None, "Ann", "k")]
    assert list(NoteClientAuthor.objects.values_list("client_id", "user", "name")) == [
        (10, None, "Ann")
    ]
    assert stored(first.pk) == stored(second.pk) == "alpha "
