"""The web page at ``/`` in Debian's headless Chromium (driven with chromium-driver), and ``?format=html``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.browser import chromium, chromium_missing
from tests.paths import REPO, screenshot_folder

pytestmark = pytest.mark.slow  # a real server in a subprocess per test module

SAMPLES = REPO / "samples"


def test_the_page_is_self_contained_with_a_strict_policy(server):
    response = server.client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert not re.search(r"<script[^>]+src=|<link[^>]+stylesheet|@import|@font-face|https?://", html)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'$", policy.split(";")[1].strip())
    assert '<meta name="viewport"' in html and 'lang="en"' in html
    assert '<label for="file">' in html and 'role="status"' in html


def test_format_html_returns_the_html_report(server):
    data = (SAMPLES / "webui-parameters.png").read_bytes()
    response = server.client.post("/v1/check", params={"format": "html"}, files={"file": ("w.png", data)})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "generated" in response.text.lower()
    assert "sandbox" in response.headers["content-security-policy"]


@pytest.fixture
def browser():
    if reason := chromium_missing():
        pytest.skip(reason)
    with chromium() as driver:
        driver.set_window_size(1024, 1400)
        driver.set_page_load_timeout(60)
        yield driver


def _verdict_after_choosing(browser, path: Path) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.ID, "file").send_keys(str(path))
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "label").text or "Could not" in _status(d))
    return browser.find_element(By.ID, "label").text


def _status(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, "status").text


@pytest.mark.browser
def test_the_page_checks_a_sample_and_shows_the_verdict(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server.url + "/")
    assert browser.title.startswith("veracity")
    assert _verdict_after_choosing(browser, SAMPLES / "webui-parameters.png") == "GENERATED"
    assert _status(browser) == "Checked webui-parameters.png."
    assert "Decided by: metadata" in browser.find_element(By.ID, "decider").text
    assert "Ask the source" in browser.find_element(By.ID, "next-steps").text
    assert "Stable Diffusion" in browser.find_element(By.ID, "reasons").text
    # The HTML report shows below the verdict.
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "report-section").is_displayed())
    assert browser.switch_to.active_element.get_attribute("id") == "result"  # focus moved to the verdict
    browser.save_screenshot(str(screenshot_folder() / "serve-page-verdict.png"))
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "format=html" not in e["message"]]
    assert errors == []  # no script error, nothing blocked by the page's policy


@pytest.mark.browser
def test_the_page_says_why_a_file_was_refused(server, browser, tmp_path):
    browser.get(server.url + "/")
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image at all\n", encoding="utf-8")
    assert _verdict_after_choosing(browser, notes) == ""
    assert "Could not check notes.txt (415): notes.txt: not a supported image" in _status(browser)


@pytest.mark.browser
def test_the_page_works_from_the_keyboard_on_a_phone_sized_window(server, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    def press(key: str) -> str:
        """Press a key as a person would (into whatever has focus); the id of what has focus then."""
        ActionChains(browser).send_keys(key).perform()
        return browser.switch_to.active_element.get_attribute("id")

    browser.set_window_size(390, 844)
    browser.get(server.url + "/")
    assert press(Keys.TAB) == "file"  # the first Tab reaches the file chooser, the next the Check button
    assert press(Keys.TAB) == "check"
    press(Keys.ENTER)  # nothing chosen yet: the page says so and puts focus on the chooser
    assert _status(browser) == "Choose a file first."
    assert browser.switch_to.active_element.get_attribute("id") == "file"
    sideways = "const e = document.documentElement; return e.scrollWidth - e.clientWidth"
    assert browser.execute_script(sideways) == 0  # nothing wider than the phone: no sideways scrolling
    assert _verdict_after_choosing(browser, SAMPLES / "camera-exif-tags.jpg") != ""
    assert browser.execute_script(sideways) == 0
    browser.save_screenshot(str(screenshot_folder() / "serve-page-phone.png"))
