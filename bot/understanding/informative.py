"""How much a word the pack never uses says about a question.

A question's words that no answer explains count against every answer; but "thằng cu nhà tui",
"hôm qua tui lên", "giữ" say little, while "ngân hàng", "biển số", "xổ số" name another service.
The general frequency of a syllable in everyday Vietnamese (wordfreq's Vietnamese list, shipped
inside the package and read offline) tells filler from substance: the more common a syllable,
the less its absence from an answer should cost. Rare syllables keep their full weight.

Named services outside the pack are caught separately (``cues.FOREIGN``), so this discount never
decides alone that "ngân hàng" is in scope.
"""

from __future__ import annotations

import math
from functools import cache

from wordfreq import get_frequency_dict

from bot.understanding.normalize import Token
from bot.wording import fold

# Zipf frequency (log10 per billion words) at or below which a syllable keeps its full weight,
# and at or above which it keeps only FLOOR of it; linear in between. Vietnamese syllables sit
# mostly between 4 and 6.5: 'nhèo', 'rứa' (absent) are rare, 'giữ' 5.7, 'ngày' 6.5 common.
RARE = 3.5
COMMON = 6.5
FLOOR = 0.3


@cache
def _zipf_tables() -> tuple[dict[str, float], dict[str, float]]:
    """(accented syllable -> zipf, folded syllable -> highest zipf of its accented forms)."""
    accented: dict[str, float] = {}
    folded: dict[str, float] = {}
    for word, freq in get_frequency_dict("vi", wordlist="small").items():
        if " " in word or freq <= 0:
            continue
        z = math.log10(freq) + 9
        accented[word] = z
        f = fold(word)
        if z > folded.get(f, 0.0):
            folded[f] = z
    return accented, folded


def zipf(token: Token) -> float:
    """General frequency of a syllable: as typed when marked, else its commonest reading."""
    accented, folded = _zipf_tables()
    if token.marked:
        return accented.get(token.acc, folded.get(token.fold, 0.0))
    return folded.get(token.fold, 0.0)


def share(token: Token) -> float:
    """The share (FLOOR..1) of its weight an unexplained unknown syllable keeps."""
    z = zipf(token)
    if z <= RARE:
        return 1.0
    if z >= COMMON:
        return FLOOR
    return 1.0 - (1.0 - FLOOR) * (z - RARE) / (COMMON - RARE)
