"""Speakers: one Speaker per person, however their name is written (see names.py).

Writes only; pages read through browse_selectors.py. `talk_set_speakers` is the one way a
talk gets its speakers — the importer, the admin and the demo call it — so a talk's
display string (`Talk.speakers`) and its links to Speaker pages never disagree.
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from ..models import Speaker, SpeakerAlias, SpeakerOldSlug, Talk, TalkSpeaker
from .names import WrittenName, speaker_slug_base, written_name


def _free_slug(name: str) -> str:
    # Old slugs count as taken: a new speaker must not hide a merged one's redirect.
    base = speaker_slug_base(name)
    taken = set(Speaker.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    taken |= set(
        SpeakerOldSlug.objects.filter(slug__startswith=base).values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _alias_add(*, key: str, speaker: Speaker) -> None:
    """`key` also means `speaker`, unless it already means someone."""
    try:
        with transaction.atomic():
            SpeakerAlias.objects.create(key=key, speaker=speaker)
    except IntegrityError:
        pass


def _speaker_create(written: WrittenName) -> Speaker:
    try:
        with transaction.atomic():
            speaker = Speaker.objects.create(
                name=written.name[:200], slug=_free_slug(written.name), handle=written.handle
            )
            SpeakerAlias.objects.create(key=written.key, speaker=speaker)
            return speaker
    except IntegrityError:
        # Someone else created this person (or took the slug) at the same moment.
        alias = SpeakerAlias.objects.select_related("speaker").filter(key=written.key).first()
        if alias is None:
            raise
        return alias.speaker


def speaker_for_name(*, name: str) -> Speaker | None:
    """The speaker a name as written means, created if nobody is known by it; None for a
    name that is only spaces or punctuation.

    A name is matched by its identity key, else by its handle ("@richhickey" and
    "Rich Hickey (@richhickey)" are one person). A handle found on a speaker who had none
    is kept.
    """
    written = written_name(name)
    if not written.key:
        return None
    alias = SpeakerAlias.objects.select_related("speaker").filter(key=written.key).first()
    speaker = alias.speaker if alias else None
    if speaker is None and written.handle:
        speaker = Speaker.objects.filter(handle__iexact=written.handle).order_by("pk").first()
        if speaker is not None:
            if speaker.name == f"@{speaker.handle}" and not written.is_handle_only:
                speaker.name = written.name[:200]  # a real name for someone known by handle
                speaker.save(update_fields=["name"])
            _alias_add(key=written.key, speaker=speaker)
    if speaker is None:
        return _speaker_create(written)
    if written.handle and not speaker.handle:
        speaker.handle = written.handle
        speaker.save(update_fields=["handle"])
    return speaker


def talk_set_speakers(*, talk: Talk, names: Sequence[str]) -> list[Speaker]:
    """Make `names`, as written ("Rich Hickey (@richhickey)", "Ada Lovelace (ACME)"), the
    talk's speakers, in that order: its display string `Talk.speakers` (the names joined
    by ", ", as the importer writes it) and its links to Speaker rows, found or created.

    Idempotent: with the same names it changes nothing (two queries).
    """
    names = [name.strip() for name in names if name.strip()]
    display = ", ".join(names)[:300]
    if talk.speakers != display:
        talk.speakers = display
        talk.save(update_fields=["speakers"])
    speakers: list[Speaker] = []
    for name in names:
        speaker = speaker_for_name(name=name)
        if speaker is not None and speaker not in speakers:
            speakers.append(speaker)
    wanted = {speaker.pk: position for position, speaker in enumerate(speakers)}
    links = {link.speaker_id: link for link in TalkSpeaker.objects.filter(talk=talk)}
    TalkSpeaker.objects.filter(
        pk__in=[link.pk for sid, link in links.items() if sid not in wanted]
    ).delete()
    for speaker_id, position in wanted.items():
        link = links.get(speaker_id)
        if link is None:
            TalkSpeaker.objects.create(talk=talk, speaker_id=speaker_id, position=position)
        elif link.position != position:
            link.position = position
            link.save(update_fields=["position"])
    return speakers


def speaker_remember_name(*, speaker: Speaker) -> None:
    """After a speaker is renamed by hand: the new name means them too (unless it already
    means someone else, who an organizer may then merge)."""
    key = written_name(speaker.name).key
    if key:
        _alias_add(key=key, speaker=speaker)


def speaker_merge(*, keep: Speaker, merged: Speaker) -> Speaker:
    """Merge `merged` into `keep`: its talks, names and addresses become `keep`'s, and its
    slug redirects to `keep`'s page. The caller has checked `merge_speakers_refusal`
    (sessions/access.py) for the events of both.
    """
    if keep.pk == merged.pk:
        raise ValueError("a speaker cannot be merged into itself")
    with transaction.atomic():
        # Lock both rows in a fixed order, so that two merges of the same pair cannot
        # deadlock, and a concurrent merge of `merged` elsewhere finds it gone.
        locked = {
            s.pk: s
            for s in Speaker.objects.select_for_update()
            .filter(pk__in=[keep.pk, merged.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise Speaker.DoesNotExist("a speaker of this merge no longer exists")
        keep, merged = locked[keep.pk], locked[merged.pk]
        shared = TalkSpeaker.objects.filter(speaker=keep).values("talk_id")
        TalkSpeaker.objects.filter(speaker=merged, talk_id__in=shared).delete()
        TalkSpeaker.objects.filter(speaker=merged).update(speaker=keep)
        SpeakerAlias.objects.filter(speaker=merged).update(speaker=keep)
        SpeakerOldSlug.objects.filter(speaker=merged).update(speaker=keep)
        SpeakerOldSlug.objects.create(slug=merged.slug, speaker=keep)
        if merged.handle and not keep.handle:
            keep.handle = merged.handle
            keep.save(update_fields=["handle"])
        merged.delete()
    return keep
