"""Who a speaker is, from a name as people write it.

"Rich Hickey", "rich  hickey", "Rích Hickey" and "Rich Hickey (@richhickey)" are one
person: a name's identity (its key) ignores case, accents, spacing and punctuation, and a
trailing parenthesis is not part of it. A "(@handle)" there is kept as the speaker's
handle; anything else in it is an affiliation ("(Cognitect)"), which changes from one
event to the next and so says nothing about who the person is.

Plain functions of strings, no models: the data migration that links existing talks to
their speakers uses them too.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.text import slugify

_TRAILING_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)$")
# "@richhickey", or a fediverse address "@rich@hachyderm.io".
_HANDLE = re.compile(r"@([\w.-]+(?:@[\w.-]+)?)")


@dataclass(frozen=True)
class WrittenName:
    name: str  # the name to show: "Rich Hickey"
    handle: str  # without its "@": "richhickey", or ""
    key: str  # the identity: "rich hickey"

    @property
    def is_handle_only(self) -> bool:
        """Written as a bare "@handle": the handle is all we know of the person."""
        return bool(self.handle) and self.name == f"@{self.handle}"


def identity_key(name: str) -> str:
    """Lower case, accents and punctuation dropped, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", bare.casefold()))


def written_name(text: str) -> WrittenName:
    """Split a speaker as written ("Rich Hickey (@richhickey)") into name, handle and key."""
    name = " ".join(text.split())
    handle = ""
    parenthesis = _TRAILING_PARENTHESIS.search(name)
    if parenthesis and parenthesis.start() > 0:  # "(someone)" alone is all there is
        inside = parenthesis.group(1).strip()
        handle_match = _HANDLE.fullmatch(inside)
        if handle_match:
            handle = handle_match.group(1)
        name = name[: parenthesis.start()].strip()
    elif _HANDLE.fullmatch(name):
        handle = name[1:]
    return WrittenName(name=name, handle=handle, key=identity_key(name))


def speaker_slug_base(name: str) -> str:
    """The slug a speaker called `name` starts from (ASCII when it can be)."""
    return (slugify(name) or slugify(name, allow_unicode=True) or "speaker")[:90]
