"""Chinese text helpers: pinyin and initials for search ("qkz" finds 青口镇)."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def pinyin_full(text: str) -> str:
    return "".join(lazy_pinyin(text or "", errors="ignore")).lower()


@lru_cache(maxsize=65536)
def pinyin_initials(text: str) -> str:
    return "".join(
        p[0] for p in lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="ignore") if p
    ).lower()
