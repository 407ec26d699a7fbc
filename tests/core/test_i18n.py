import pytest

from scripts.i18n import missing


def test_home_page_in_chinese(client) -> None:
    html = client.get("/?lang=zh").get_data(as_text=True)
    assert "民声评议" in html and "评价政务服务" in html
    assert 'lang="zh-Hans"' in html


def test_language_follows_the_browser_and_the_switch_is_remembered(client) -> None:
    html = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "工作人员登录" in html
    response = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert "Staff log in" in response.get_data(as_text=True)
    html = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Staff log in" in html  # the cookie set by the switch wins over the browser


def test_both_languages_offered_on_every_page(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert "简体中文" in html and "English" in html


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_user_facing_string_has_a_chinese_translation() -> None:
    gaps = missing()
    assert not gaps, "untranslated: " + "; ".join(f"{w}: {m!r}" for m, w in list(gaps.items())[:20])
