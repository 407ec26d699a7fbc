"""Comment screening: personal data is masked, ordinary numbers are left alone."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citizenvoice.integrity.masking import (
    PersonalDataKind,
    find_personal_data,
    fold_to_ascii,
    has_personal_data,
    is_valid_id_checksum,
    mask_personal_data,
)

PHONE, ID, EMAIL = "[phone]", "[ID number]", "[e-mail]"
MOBILE_ANYWHERE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # mainland mobiles, bare, grouped, prefixed, full-width, inside Chinese text
        ("请拨打13800138000联系我", f"请拨打{PHONE}联系我"),
        ("电话：138 0013 8000。", f"电话：{PHONE}。"),
        ("138-0013-8000", PHONE),
        ("+86 138 0013 8000", PHONE),
        ("+86-13912345678", PHONE),
        ("(+86)13800138000", PHONE),
        ("008613800138000", PHONE),
        ("手机１３８００１３８０００谢谢", f"手机{PHONE}谢谢"),
        ("手机：１３８　００１３　８０００", f"手机：{PHONE}"),
        ("call me at 19912345678!", f"call me at {PHONE}!"),
        # landlines with an area code
        ("办公室010-62345678", f"办公室{PHONE}"),
        ("(0755) 1234567", PHONE),
        ("021 6123 4567", PHONE),
        ("０１０－６２３４５６７８", PHONE),
        ("0571-8888 6666转123", f"{PHONE}转123"),
        # resident ID numbers
        ("身份证110105194912310021谢谢", f"身份证{ID}谢谢"),
        ("ID 11010519491231002X.", f"ID {ID}."),
        ("１１０１０５１９４９１２３１００２ｘ", ID),
        # e-mail addresses
        ("邮箱abc.def@163.com谢谢", f"邮箱{EMAIL}谢谢"),
        ("mail: Zhang.San+cv@example.gov.cn", f"mail: {EMAIL}"),
        ("ａｂｃ＠ｑｑ．ｃｏｍ", EMAIL),
        ("13800138000@qq.com", EMAIL),
        # international and grouped phone-like runs
        ("+44 20 7946 0958", PHONE),
        ("+1 (415) 555-2671", PHONE),
        ("0044 20 7946 0958", PHONE),
        ("ring 415-555-2671 please", f"ring {PHONE} please"),
        ("tél. 06 12 34 56 78", f"tél. {PHONE}"),
        # several at once
        (
            "张三，13800138000，zs@example.com，110105194912310021",
            f"张三，{PHONE}，{EMAIL}，{ID}",
        ),
    ],
)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked
    assert has_personal_data(text)


@pytest.mark.parametrize(
    "text",
    [
        "waited 45 minutes at window 3",
        "等了45分钟，3号窗口，态度很好",
        "in 2026 the fee was 200 yuan",
        "收费200元，用时1小时30分",
        "2026-03-15 14:30 办理",
        "2026年3月15日",
        "热线12345很方便",
        "order 202603150001234",  # a case number a caseworker needs
        "number 1380013800012",  # 13 digits: not a mobile number
        "813800138000",  # 12 digits
        "110105194913310021",  # month 13: not a birth date
        "¥1,234,567.89",
        "排队号A0123",
        "score 4.5/5, 98.5% satisfied",
        "",
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert mask_personal_data(text) == text
    assert not has_personal_data(text)


def test_matches_report_kind_and_position_in_the_original_text() -> None:
    text = "电话１３８００１３８０００，邮箱a@b.cn"
    matches = find_personal_data(text)
    assert [(m.kind, text[m.start : m.end]) for m in matches] == [
        (PersonalDataKind.PHONE, "１３８００１３８０００"),
        (PersonalDataKind.EMAIL, "a@b.cn"),
    ]


def test_fold_to_ascii_keeps_length() -> None:
    text = "１３８－００１３　ｘＸ＠（）"
    assert fold_to_ascii(text) == "138-0013 xX@()"
    assert len(fold_to_ascii(text)) == len(text)


def test_id_checksum() -> None:
    assert is_valid_id_checksum("11010519491231002X")
    assert is_valid_id_checksum("１１０１０５１９４９１２３１００２ｘ")
    assert not is_valid_id_checksum("110105194912310021")
    assert not is_valid_id_checksum("1101051949123100")


def test_tokens_are_the_kind_values() -> None:
    assert [kind.mask for kind in PersonalDataKind] == [EMAIL, ID, PHONE]


# --- properties ---------------------------------------------------------------------------

_DIGITS = "0123456789０１２３４５６７８９"
_FILLER = st.text(alphabet=_DIGITS + " -+()@.abcXx号窗口等了分钟元，。", max_size=30)


@st.composite
def _mobile_numbers(draw: st.DrawFn) -> str:
    digits = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    style = draw(st.sampled_from(["plain", "groups", "dashes", "prefix", "full"]))
    if style == "groups":
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if style == "dashes":
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if style == "prefix":
        return "+86 " + digits
    if style == "full":
        return fold_back(digits)
    return digits


def fold_back(digits: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) for ch in digits)


@st.composite
def _comments(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(_FILLER, _mobile_numbers()), max_size=6))
    return "".join(parts)


@settings(max_examples=300)
@given(_comments())
def test_masked_text_holds_no_mobile_number(text: str) -> None:
    masked = mask_personal_data(text)
    assert MOBILE_ANYWHERE.search(fold_to_ascii(masked)) is None


@settings(max_examples=300)
@given(st.one_of(_comments(), st.text(max_size=80)))
def test_masking_is_idempotent(text: str) -> None:
    once = mask_personal_data(text)
    assert mask_personal_data(once) == once


@given(st.text(alphabet=st.characters(blacklist_categories=["Nd"]), max_size=60))
def test_text_without_digits_or_at_sign_is_unchanged(text: str) -> None:
    text = text.replace("@", "").replace("＠", "")
    assert mask_personal_data(text) == text


@given(_mobile_numbers(), _FILLER, _FILLER)
def test_a_mobile_number_between_non_digits_is_always_masked(
    number: str, before: str, after: str
) -> None:
    text = f"{before}，{number}，{after}"
    assert number not in mask_personal_data(text)
