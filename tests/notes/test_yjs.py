"""notes/yjs.py: the clients of an update, and who wrote each character of a document."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Map, Text, merge_updates

from notes.yjs import text_runs, update_clients


def typist(client_id: int) -> tuple[Doc, Text]:
    doc = Doc(client_id=client_id)
    return doc, doc.get("content", type=Text)


def sync(a: Doc, b: Doc) -> None:
    b.apply_update(a.get_update(b.get_state()))
    a.apply_update(b.get_update(a.get_state()))


def test_update_clients_of_an_edit_deletions_and_a_merge():
    ann, text = typist(101)
    edits = []
    ann.observe(lambda event: edits.append(event.update))
    text.insert(0, "hello")
    text.insert(5, " world")
    del text[0:1]
    bob, bob_text = typist(2**40 + 7)
    bob.apply_update(ann.get_update())
    bob_text.insert(0, "B")

    assert [update_clients(update) for update in edits] == [(101,), (101,), ()]
    merged = merge_updates(ann.get_update(), bob.get_update())
    assert sorted(update_clients(merged)) == [101, 2**40 + 7]
    assert update_clients(b"\x00\x00") == ()
    assert update_clients(b"\x07garbage") == ()


def test_runs_of_two_known_clients_typing_concurrently():
    ann, ann_text = typist(1)
    bob, bob_text = typist(2)
    ann_text.insert(0, "Hello world")
    sync(ann, bob)
    # At the same time: Ann appends, Bob inserts in the middle and deletes a word.
    ann_text.insert(11, "!")
    bob_text.insert(5, ", dear")
    del bob_text[0:5]  # "Hello"
    bob_text.insert(0, "Bye")
    sync(ann, bob)

    runs = text_runs(ann.get_update())

    assert str(ann_text) == str(bob_text) == "Bye, dear world!"
    assert runs.complete
    assert runs.runs == [(2, "Bye, dear"), (1, " world!")]
    assert runs.text == "Bye, dear world!"


def test_runs_survive_merging_as_compaction_does():
    ann, ann_text = typist(11)
    bob, bob_text = typist(22)
    updates = []
    for doc in (ann, bob):
        doc.observe(lambda event: updates.append(event.update))
    for word in ("alpha ", "beta ", "gamma "):
        ann_text.insert(len(ann_text), word)
        sync(ann, bob)
        bob_text.insert(0, word.upper())
        sync(ann, bob)

    whole = ann.get_update()
    compacted = merge_updates(*updates)  # what a checkpoint holds after compaction

    assert text_runs(compacted).runs == text_runs(whole).runs
    assert text_runs(whole).runs == [(22, "GAMMA BETA ALPHA "), (11, "alpha beta gamma ")]


def test_non_ascii_text_is_cut_in_utf16_units():
    ann, ann_text = typist(5)
    bob, bob_text = typist(6)
    ann_text.insert(0, "é😀e")
    sync(ann, bob)
    bob_text.insert(len("é😀".encode()), "X")  # pycrdt offsets are UTF-8 bytes
    sync(ann, bob)

    assert text_runs(bob.get_update()).runs == [(5, "é😀"), (6, "X"), (5, "e")]


def test_a_document_with_other_content_says_it_cannot_tell():
    doc, text = typist(9)
    text.insert(0, "text")
    text.insert_embed(2, {"image": "x.png"})

    runs = text_runs(doc.get_update())

    assert (runs.complete, runs.runs) == (False, [])


def test_other_root_types_are_ignored():
    doc, text = typist(9)
    text.insert(0, "notes")
    doc["meta"] = meta = Map()
    meta["k"] = "v"

    assert text_runs(doc.get_update()).runs == [(9, "notes")]


# Each typist writes only its own letter, so every character says who wrote it.
LETTERS = "AéB😀"
actions = st.lists(
    st.tuples(
        st.integers(0, 3),  # who
        st.sampled_from(["insert", "insert", "insert", "delete", "sync"]),
        st.integers(0, 1000),  # where
        st.integers(1, 4),  # how many
        st.integers(0, 3),  # sync with whom
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=actions)
def test_every_character_is_credited_to_the_client_that_typed_it(actions):
    docs = [typist(1000 + n) for n in range(4)]
    letters = {1000 + n: LETTERS[n] for n in range(4)}
    for who, action, where, count, other in actions:
        doc, text = docs[who]
        current = str(text)
        position = where % (len(current) + 1)
        offset = len(current[:position].encode())
        if action == "insert":
            text.insert(offset, LETTERS[who] * count)
        elif action == "delete" and current:
            end = min(len(current), position + count)
            del text[offset : len(current[:end].encode())]
        elif action == "sync":
            sync(doc, docs[other][0])

    merged = merge_updates(*(doc.get_update() for doc, _ in docs))
    runs = text_runs(merged)

    assert runs.complete
    assert "".join(text for _, text in runs.runs) == runs.text
    for client, text in runs.runs:
        assert set(text) == {letters[client]}
