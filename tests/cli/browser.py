"""Headless Debian Chromium driven through chromedriver (Selenium), for tests of web pages.

Selenium over chromedriver rather than raw DevTools: it is the well-kept, standard client for this, gives
the browser console log and screenshots directly, and the Debian packages pin chromium and its driver to
the same version. Nothing is downloaded: the driver and the browser are the system's, passed explicitly, so
Selenium Manager never runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2000",
)


def chromium_missing() -> str | None:
    """Why a browser test cannot run here, or ``None`` when it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        return "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
    return None


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium WebDriver with a fresh profile and the browser console log enabled."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")
    profile = tempfile.mkdtemp(prefix="veracity-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def inspect_page(driver, page: Path, screenshot: Path) -> dict:
    """Load `page`, save a full-page screenshot, and return what a test checks about it."""
    driver.get(page.resolve().as_uri())
    images = driver.execute_script(
        "return Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth}));"
    )
    banner = driver.find_element("id", "verdict") if driver.find_elements("id", "verdict") else None
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(max(int(height), 800), 16000))
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(screenshot))
    return {
        "images": images,
        "banner_text": banner.text if banner is not None else "",
        "banner_visible": banner.is_displayed() if banner is not None else False,
        "console": driver.get_log("browser"),
    }
