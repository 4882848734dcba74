"""How many SMS segments a text costs, as carriers (and Twilio's bill) count them.

A text goes as GSM-7 when every character is in the GSM 03.38 alphabet, else as UCS-2 (any
Chinese, Korean or Vietnamese letter, an emoji, even one Spanish "í"). One segment holds 160
GSM-7 septets or 70 UCS-2 code units; a longer text is split into segments of 153 or 67, the
rest carrying the header that reassembles them. Characters of GSM's extension table (€ [ ] { }
\\ ^ ~ | and form feed) take two septets; characters beyond the Basic Multilingual Plane (most
emoji) take two UCS-2 units. Neither pair is ever split between two segments.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Literal

import gsm0338  # type: ignore[import-untyped]  # noqa: F401  (registers the "gsm03.38" codec)

Encoding = Literal["GSM-7", "UCS-2"]

SINGLE = {"GSM-7": 160, "UCS-2": 70}
CONCATENATED = {"GSM-7": 153, "UCS-2": 67}
_GSM = codecs.lookup("gsm03.38")


@dataclass(frozen=True)
class Segments:
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int  # 0 for an empty text

    @property
    def per_segment(self) -> int:
        return SINGLE[self.encoding] if self.count <= 1 else CONCATENATED[self.encoding]


def _gsm_units(text: str) -> list[int] | None:
    """Septets per character, or None when a character is not in the GSM alphabet."""
    units = []
    for char in text:
        if char == "\x1b":  # the escape code itself, never a character of a message
            return None
        try:
            units.append(len(_GSM.encode(char)[0]))
        except UnicodeEncodeError:
            return None
    return units


def _ucs2_units(text: str) -> list[int]:
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def encoding_of(text: str) -> Encoding:
    return "GSM-7" if _gsm_units(text) is not None else "UCS-2"


def count(text: str) -> Segments:
    """The encoding, the units and the number of segments of one text message."""
    gsm = _gsm_units(text)
    encoding: Encoding = "GSM-7" if gsm is not None else "UCS-2"
    units = gsm if gsm is not None else _ucs2_units(text)
    total = sum(units)
    if total == 0:
        return Segments(encoding, 0, 0)
    if total <= SINGLE[encoding]:
        return Segments(encoding, total, 1)
    room = CONCATENATED[encoding]
    segments, used = 1, 0
    for size in units:
        if used + size > room:  # a two-unit character moves whole into the next segment
            segments += 1
            used = 0
        used += size
    return Segments(encoding, total, segments)
