"""How a place's names are matched against what a member typed: one folding rule, used to
store each place's search key and to read the query, so both sides always agree.

Changing the rule changes every stored key: add a migration that recomputes them, as
0015_place_search_key does."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Words that say what a place is rather than which one: a search for "Кочкор району" should
# rank the district and the aiyl aimak "Кочкор" alike.
_GENERIC = re.compile(
    r"\b(айыл аймагы|айылный аймак|aiyl aimak|шаары|город|town|city|району|район|district|"
    r"облусу|область|region|им|имени)\b"
)
_FOLD = str.maketrans({"ё": "е", "ө": "о", "ү": "у", "ң": "н", "ю": "у", "ä": "a", "ö": "o",
                       "ü": "u"})


def fold(text: str) -> str:
    """A spelling-tolerant key: Kyrgyz and Russian spellings of one name meet (Көк/Кок,
    Жаңы/Джаны), case, hyphens and punctuation ignored."""
    text = (text or "").casefold().translate(_FOLD).replace("дж", "ж")
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def name_key(text: str) -> str:
    """A name (or a query) folded, without the words that only say what kind of place it is."""
    return " ".join(_GENERIC.sub(" ", fold(text)).split())


def search_key(names: Iterable[str]) -> str:
    """What a place's row stores: the key of each of its names, one a line, so a query is
    matched in SQL (LIKE) over every row and only the few matches are ranked in Python."""
    return "\n".join(dict.fromkeys(key for key in map(name_key, names) if key))
