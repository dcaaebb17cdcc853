"""Contributors: one row per account, one per guest name and browser.

Until now a note's contributors were unique by name, so a guest naming themselves
like an account was credited as that account (and an account renamed since kept two
rows). Rows of one account in one note are merged into its first, before the new
constraint says there is one.
"""

from django.conf import settings
from django.db import migrations, models


def merge_rows_of_one_account(apps, schema_editor):
    NoteContributor = apps.get_model("notes", "NoteContributor")
    seen: dict[tuple[int, int], object] = {}
    rows = NoteContributor.objects.filter(user__isnull=False).order_by("first_edit_at", "pk")
    for row in rows:
        first = seen.get((row.note_id, row.user_id))
        if first is None:
            seen[(row.note_id, row.user_id)] = row
            continue
        if row.last_edit_at > first.last_edit_at:
            NoteContributor.objects.filter(pk=first.pk).update(last_edit_at=row.last_edit_at)
        row.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0002_note_locked"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="notecontributor",
            name="notecontributor_unique_name",
        ),
        migrations.AddField(
            model_name="notecontributor",
            name="guest_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(merge_rows_of_one_account, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="notecontributor",
            constraint=models.UniqueConstraint(
                condition=models.Q(("user__isnull", False)),
                fields=("note", "user"),
                name="notecontributor_one_per_user",
            ),
        ),
        migrations.AddConstraint(
            model_name="notecontributor",
            constraint=models.UniqueConstraint(
                condition=models.Q(("user__isnull", True)),
                fields=("note", "name", "guest_key"),
                name="notecontributor_one_per_guest",
            ),
        ),
    ]
