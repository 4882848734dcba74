"""What patients type, understood in their language: yes and no, days in the forms people write
(digits of any script, Chinese numerals, Korean and Vietnamese number words), opt-out and help
words, and language names. Tables for Chinese, Korean and Vietnamese; rules every vocabulary in
locales/ must keep, whoever wrote it."""

from __future__ import annotations

import pytest

from bot.languages import catalogs as i18n
from dialogs.parse import (
    asks_for_pharmacist,
    is_keyword,
    language_choice,
    normalize,
    number,
    sounds_like_revocation,
    yes_or_no,
)

YES_NO = [
    # Simplified Chinese
    ("zh-Hans", "是", True),
    ("zh-Hans", "是的", True),
    ("zh-Hans", "好的，谢谢", True),
    ("zh-Hans", "有，几次", True),
    ("zh-Hans", "会的", True),
    ("zh-Hans", "要", True),
    ("zh-Hans", "OK", True),
    ("zh-Hans", "不是", False),
    ("zh-Hans", "没有", False),
    ("zh-Hans", "没有。", False),
    ("zh-Hans", "都没有", False),
    ("zh-Hans", "没有什么", False),
    ("zh-Hans", "不要", False),
    ("zh-Hans", "不用了，谢谢", False),
    ("zh-Hans", "否", False),
    ("zh-Hans", "是不是", None),
    ("zh-Hans", "我早上头晕", None),
    ("zh-Hans", "🤷", None),
    # Traditional Chinese, with Cantonese answers
    ("zh-Hant", "是的", True),
    ("zh-Hant", "對", True),
    ("zh-Hant", "係", True),
    ("zh-Hant", "沒有", False),
    ("zh-Hant", "唔係", False),
    ("zh-Hant", "冇", False),
    ("zh-Hant", "不需要，謝謝", False),
    # Korean
    ("ko", "네", True),
    ("ko", "예", True),
    ("ko", "네, 있어요", True),
    ("ko", "네 갈게요", True),
    ("ko", "아니요", False),
    ("ko", "아니오.", False),
    ("ko", "없어요", False),
    ("ko", "아니요 괜찮습니다", False),
    ("ko", "잘 모르겠어요", None),
    # Vietnamese, with and without accents
    ("vi", "có", True),
    ("vi", "Có ạ", True),
    ("vi", "co", True),
    ("vi", "Dạ", True),
    ("vi", "vâng", True),
    ("vi", "được", True),
    ("vi", "không", False),
    ("vi", "khong", False),
    ("vi", "Dạ không", False),
    ("vi", "dạ không có", False),
    ("vi", "không, cảm ơn", False),
    ("vi", "chưa", False),
    ("vi", "có không", None),
    # English still works for every patient
    ("zh-Hans", "yes", True),
    ("ko", "no", False),
    ("vi", "yes", True),
]


@pytest.mark.parametrize(("language", "text", "meaning"), YES_NO)
def test_yes_and_no(language: str, text: str, meaning: bool | None) -> None:
    assert yes_or_no(text, i18n.vocabulary_for(language)) is meaning


DAYS = [
    ("zh-Hans", "十五", 15),
    ("zh-Hans", "十五号", 15),
    ("zh-Hans", "15号", 15),
    ("zh-Hans", "１５号", 15),
    ("zh-Hans", "二十八日", 28),
    ("zh-Hans", "每月十五号", 15),
    ("zh-Hans", "每个月的二十号吧", 20),
    ("zh-Hans", "十二", 12),
    ("zh-Hans", "三十一号", 31),
    ("zh-Hans", "廿八", 28),
    ("zh-Hans", "一号或者二号", None),
    ("zh-Hans", "12月15日", None),
    ("zh-Hant", "十五號", 15),
    ("zh-Hant", "廿八號", 28),
    ("zh-Hant", "每個月二十八日", 28),
    ("ko", "15일", 15),
    ("ko", "매월 15일", 15),
    ("ko", "십오일", 15),
    ("ko", "십오", 15),
    ("ko", "이십팔일에", 28),
    ("ko", "십오일로 해주세요", 15),
    ("ko", "일일", 1),
    ("ko", "보름", 15),
    ("ko", "오일이나 육일", None),
    ("vi", "15", 15),
    ("vi", "ngày 15", 15),
    ("vi", "mười lăm", 15),
    ("vi", "muoi lam", 15),
    ("vi", "ngày hai mươi tám", 28),
    ("vi", "hai mươi lăm nhé", 25),
    ("vi", "hai lăm", 25),
    ("vi", "mùng một", 1),
    ("vi", "ngày mười hai hàng tháng", 12),
    ("vi", "ngày 1 hoặc 2", None),
    # A time of day or "no one" is no day of the month
    ("en", "yes around 3pm", None),
    ("en", "after 10:30 a.m. on the 15th", 15),
    ("en", "no one will pick up", None),
    ("en", "no one can come, make it the 20th", 20),
    ("es", "a las 3 pm", None),
    # Digits of every script, whatever the patient's language
    ("zh-Hans", "١٥", 15),
    ("ko", "۱۵", 15),
    ("vi", "٢٨", 28),
    ("en", "١٥", 15),
]


@pytest.mark.parametrize(("language", "text", "day"), DAYS)
def test_days_in_the_forms_people_type(language: str, text: str, day: int | None) -> None:
    assert number(text, i18n.vocabulary_for(language)) == day


KEYWORDS = [
    # (patient's language, text, which list it belongs to)
    ("zh-Hans", "停止", "opt_out"),
    ("zh-Hans", "退订", "opt_out"),
    ("zh-Hans", "TD", "opt_out"),
    ("zh-Hans", "STOP", "opt_out"),
    ("zh-Hant", "停止", "opt_out"),
    ("zh-Hant", "取消訂閱", "opt_out"),
    ("ko", "중지", "opt_out"),
    ("ko", "수신거부", "opt_out"),
    ("ko", "수신 거부", "opt_out"),
    ("vi", "Ngừng", "opt_out"),
    ("vi", "NGUNG", "opt_out"),
    ("vi", "hủy đăng ký", "opt_out"),
    # Everyone's opt-out words work for every patient, in any language.
    ("en", "停止", "opt_out"),
    ("es", "수신거부", "opt_out"),
    ("ko", "Ngừng", "opt_out"),
    ("zh-Hans", "ALTO", "opt_out"),
    ("zh-Hans", "开始", "opt_in"),
    ("zh-Hant", "開始", "opt_in"),
    ("ko", "시작", "opt_in"),
    ("vi", "bắt đầu", "opt_in"),
    ("zh-Hans", "帮助", "help"),
    ("zh-Hant", "幫助", "help"),
    ("ko", "도움말", "help"),
    ("vi", "GIÚP", "help"),
]


@pytest.mark.parametrize(("language", "text", "kind"), KEYWORDS)
def test_keywords(language: str, text: str, kind: str) -> None:
    assert is_keyword(text, getattr(i18n.vocabulary_for(language), kind))


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("vi", "Huy"),  # a given name, and "hủy" alone is not an opt-out word
        ("vi", "Dung"),
        ("vi", "dùng"),
        ("ko", "취소할게요"),  # a sentence, not the keyword
        ("zh-Hans", "停止服用了"),  # "stopped taking it": an answer, not an opt-out
    ],
)
def test_near_misses_do_not_opt_out(language: str, text: str) -> None:
    assert not is_keyword(text, i18n.vocabulary_for(language).opt_out)


NAMES = [
    ("en", "中文", "zh-Hans"),
    ("en", "简体中文", "zh-Hans"),
    ("en", "繁體中文", "zh-Hant"),
    ("en", "廣東話", "zh-Hant"),
    ("en", "Chinese", "zh-Hans"),
    ("es", "TIẾNG VIỆT", "vi"),
    ("es", "tieng viet", "vi"),
    ("en", "한국어", "ko"),
    ("en", "korean", "ko"),
    ("en", "ESPAÑOL", "es"),
    ("zh-Hans", "English", "en"),
    ("zh-Hans", "英语", "en"),
    ("zh-Hans", "我要繁體中文", "zh-Hant"),
    ("zh-Hant", "中文", "zh-Hant"),  # already in Traditional: stays there
    ("ko", "영어", "en"),
    ("ko", "한국어로", "ko"),
    ("vi", "tiếng Anh", "en"),
    ("vi", "nói tiếng Việt", "vi"),
]


@pytest.mark.parametrize(("language", "text", "chosen"), NAMES)
def test_language_names(language: str, text: str, chosen: str) -> None:
    assert language_choice(text, i18n.vocabulary_for(language)) == chosen


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("zh-Hans", "药剂师"),
        ("zh-Hans", "请给我打电话"),
        ("zh-Hant", "藥劑師"),
        ("ko", "약사"),
        ("ko", "전화 주세요"),
        ("vi", "dược sĩ"),
        ("vi", "gọi cho tôi"),
    ],
)
def test_asking_for_a_pharmacist(language: str, text: str) -> None:
    assert asks_for_pharmacist(text, i18n.vocabulary_for(language))


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("zh-Hans", "请不要再发短信给我"),
        ("zh-Hant", "不要再聯絡我了"),
        ("ko", "이제 문자 보내지 마세요"),
        ("vi", "xin đừng nhắn tin cho tôi nữa"),
    ],
)
def test_free_text_that_may_revoke_consent(language: str, text: str) -> None:
    assert sounds_like_revocation(text, i18n.vocabulary_for(language))


def test_chinese_is_matched_character_by_character() -> None:
    assert normalize("十五号") == "十 五 号"
    assert normalize("Tiếng Việt!") == "tieng viet"
    assert normalize("한국어") == "한국어"


# ------------------------------------------------------------------ every vocabulary

LANGUAGES = sorted(i18n.all_vocabularies())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_vocabulary_has_what_a_patient_needs(language: str) -> None:
    vocab = i18n.all_vocabularies()[language]
    assert vocab.yes and vocab.no and vocab.opt_out and vocab.opt_in and vocab.help
    assert not vocab.yes & vocab.no, "a word cannot mean both yes and no"
    assert set(range(1, 29)) <= set(vocab.numbers.values()), "every pickup day in words"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_opt_out_word_is_an_answer_in_any_language(language: str) -> None:
    """Everyone's opt-out words apply to every patient: none may be a yes, a no or a day."""
    opt_out = i18n.all_vocabularies()[language].opt_out
    for other, vocab in i18n.all_vocabularies().items():
        clash = opt_out & (vocab.yes | vocab.no | set(vocab.numbers) | set(vocab.language_names))
        assert not clash, f"{language} opt-out words are answers in {other}: {sorted(clash)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_opt_out_word_works_for_every_patient(language: str) -> None:
    for word in sorted(i18n.all_vocabularies()[language].opt_out):
        for patient_language in LANGUAGES:
            assert is_keyword(word, i18n.vocabulary_for(patient_language).opt_out)


@pytest.mark.parametrize("language", [t for t in i18n.registry() if t in LANGUAGES])
def test_a_languages_own_name_selects_it_from_every_language(language: str) -> None:
    native = i18n.registry()[language].native_name
    english = i18n.registry()[language].english_name.split(" (")[0]
    for patient_language in LANGUAGES:
        vocab = i18n.vocabulary_for(patient_language)
        assert language_choice(native, vocab) == language, (native, patient_language)
        if language not in ("zh-Hant",):  # "Chinese" alone means Simplified
            assert language_choice(english, vocab) == language, (english, patient_language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("typed", ["15", "١٥", "۱۵", "１５", "the 15th", "15."])
def test_digits_of_every_script_in_every_language(language: str, typed: str) -> None:
    assert number(typed, i18n.vocabulary_for(language)) == 15
