"""Guest note credits carry the guest's browser key themselves now.

The live engine records a guest contributor with its browser key
(`NoteContributor.guest_key`, notes 0003), so the table that remembered which browser
wrote under which name where (`GuestNoteName`) goes. What it remembered is kept: a guest
contributor row without a key gets the key of the one browser that wrote under its name
in its note. Where two browsers wrote under the same name in one note, nobody can tell
whose the row is, so it stays a guest row without a key (no sign-in claims it).
"""

from collections import defaultdict

from django.db import migrations


def keys_to_contributors(apps, schema_editor):
    GuestNoteName = apps.get_model("conf_sessions", "GuestNoteName")
    NoteContributor = apps.get_model("notes", "NoteContributor")
    keys = defaultdict(set)
    for key, note_id, name in GuestNoteName.objects.values_list("guest_key", "note_id", "name"):
        keys[(note_id, name)].add(key)
    for (note_id, name), claimed_by in keys.items():
        if len(claimed_by) != 1:
            continue
        (key,) = claimed_by
        rows = NoteContributor.objects.filter(
            note_id=note_id, name=name, user__isnull=True, guest_key=""
        )
        if not NoteContributor.objects.filter(
            note_id=note_id, name=name, user__isnull=True, guest_key=key
        ).exists():
            rows.update(guest_key=key[:64])


class Migration(migrations.Migration):
    dependencies = [
        ("conf_sessions", "0008_search_index"),
        ("notes", "0003_notecontributor_accounts_and_guests_apart"),
    ]

    operations = [
        migrations.RunPython(keys_to_contributors, migrations.RunPython.noop, elidable=True),
        migrations.DeleteModel(name="GuestNoteName"),
    ]
