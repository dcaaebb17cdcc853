"""Link every existing talk to its speakers (Speaker rows), by the same identity rules as
`talk_set_speakers` (sessions/archive/names.py): one Speaker per person however written."""

from django.db import migrations

from sessions.archive.names import speaker_slug_base, written_name


def link_speakers(apps, schema_editor):
    Talk = apps.get_model("conf_sessions", "Talk")
    Speaker = apps.get_model("conf_sessions", "Speaker")
    SpeakerAlias = apps.get_model("conf_sessions", "SpeakerAlias")
    TalkSpeaker = apps.get_model("conf_sessions", "TalkSpeaker")
    by_key, by_handle = {}, {}
    slugs = set(Speaker.objects.values_list("slug", flat=True))

    def speaker_for(written):
        speaker = by_key.get(written.key)
        if speaker is None and written.handle:
            speaker = by_handle.get(written.handle.casefold())
            if speaker is not None:
                if speaker.name == f"@{speaker.handle}" and not written.is_handle_only:
                    speaker.name = written.name  # a real name for someone known by handle
                    speaker.save(update_fields=["name"])
                SpeakerAlias.objects.create(key=written.key, speaker=speaker)
                by_key[written.key] = speaker
        if speaker is None:
            base = speaker_slug_base(written.name)
            slug, n = base, 2
            while slug in slugs:
                slug, n = f"{base}-{n}", n + 1
            slugs.add(slug)
            speaker = Speaker.objects.create(name=written.name, slug=slug, handle=written.handle)
            SpeakerAlias.objects.create(key=written.key, speaker=speaker)
            by_key[written.key] = speaker
        elif written.handle and not speaker.handle:
            speaker.handle = written.handle
            speaker.save(update_fields=["handle"])
        if speaker.handle:
            by_handle.setdefault(speaker.handle.casefold(), speaker)
        return speaker

    links = []
    for talk in Talk.objects.exclude(speakers="").order_by("pk").iterator():
        seen = set()
        for text in talk.speakers.split(","):
            written = written_name(text)
            if not written.key:
                continue
            speaker = speaker_for(written)
            if speaker.pk not in seen:
                seen.add(speaker.pk)
                links.append(TalkSpeaker(talk_id=talk.pk, speaker=speaker, position=len(seen) - 1))
    TalkSpeaker.objects.bulk_create(links, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("conf_sessions", "0004_series_speakers_redirects"),
    ]

    operations = [
        migrations.RunPython(link_speakers, migrations.RunPython.noop),
    ]
