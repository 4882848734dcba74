"""SMS segments as carriers count them: GSM-7 160/153 (extension characters take two septets),
UCS-2 70/67 (characters beyond the BMP take two units); a pair is never split."""

from __future__ import annotations

import pytest

from bot.languages.segments import count, encoding_of

TABLE = [
    # text, encoding, units, segments
    ("", "GSM-7", 0, 0),
    ("Reply YES or NO.", "GSM-7", 16, 1),
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    # "í" is not in GSM-7, so one "Sí" sends a Spanish text as UCS-2; GSM's own accented
    # letters (è é ù ì ò à ñ ü ¿ ¡ £ ¥ §) keep it GSM-7.
    ("¿Quiere unirse? Sí: è é ù ì ò à ñ ü ¡£¥§", "UCS-2", 40, 1),
    ("¿Quiere unirse? Responda ALTO: è é ù ì ò à ñ ü ¡£¥§", "GSM-7", 51, 1),
    # The extension table: each costs two septets.
    ("€" * 80, "GSM-7", 160, 1),
    ("€" * 81, "GSM-7", 162, 2),
    ("[~]{|}^\\", "GSM-7", 16, 1),
    # An escape pair never straddles two segments: 152 + "€" fills the first exactly...
    ("a" * 151 + "€" + "a" * 10, "GSM-7", 163, 2),
    # ...and 152 letters leave one septet, so the € moves whole into segment 2.
    ("a" * 152 + "€" + "a" * 153, "GSM-7", 307, 3),
    # One character outside GSM-7 makes the whole text UCS-2.
    ("a" * 69 + "í", "UCS-2", 70, 1),
    ("a" * 70 + "í", "UCS-2", 71, 2),
    ("中" * 70, "UCS-2", 70, 1),
    ("中" * 71, "UCS-2", 71, 2),
    ("中" * 134, "UCS-2", 134, 2),
    ("中" * 135, "UCS-2", 135, 3),
    ("한국어 " * 10, "UCS-2", 40, 1),
    ("Tiếng Việt", "UCS-2", 10, 1),
    ("Здравствуйте", "UCS-2", 12, 1),
    ("١٥", "UCS-2", 2, 1),
    # Emoji beyond the BMP take two units; a surrogate pair is never split.
    ("😀" * 35, "UCS-2", 70, 1),
    ("😀" * 36, "UCS-2", 72, 2),
    ("a" + "😀" * 33 + "a" * 10, "UCS-2", 77, 2),
    ("a" * 66 + "😀" + "a" * 67, "UCS-2", 135, 3),
    # The GSM escape code itself is no message character.
    ("\x1b", "UCS-2", 1, 1),
]


@pytest.mark.parametrize(("text", "encoding", "units", "segments"), TABLE)
def test_segments(text: str, encoding: str, units: int, segments: int) -> None:
    counted = count(text)
    assert (counted.encoding, counted.units, counted.count) == (encoding, units, segments)
    assert encoding_of(text) == encoding


def test_per_segment_room() -> None:
    assert count("a" * 100).per_segment == 160
    assert count("a" * 200).per_segment == 153
    assert count("中").per_segment == 70
    assert count("中" * 80).per_segment == 67
