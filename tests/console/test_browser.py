"""The retention desk's console in a real headless Chromium, against a worker fed by the
simulator: whom it lists, what a filter does, what a customer page explains, both languages,
and that a wrong token sees nothing.

Set CHURNWATCH_SCREENSHOTS=1 to write the pages' screenshots into docs/console/."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest
import redis
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from agents.redis_sink import AT_RISK
from churnwatch.commands import ensure_topics
from churnwatch.worker_process import WorkerProcess
from config.policy import CHANNELS, Policy
from config.settings import Settings
from embedded.process import wait_until
from embedded.services import EmbeddedBroker, EmbeddedRedis
from sim.population import SimConfig, simulate
from streams.calendar import Calendar
from streams.offline import OfflineRunner, ReplayRecord
from tests.support.live import produce_records, wait_for_metric

pytestmark = [pytest.mark.integration, pytest.mark.timeout(400)]
TOKEN = "desk-t0ken"
PREFIX = "churnwatch-console-test:"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
ENGLISH_LABELS = ("At risk", "Level", "Score", "Stage", "Tier", "Open task", "Why", "Apply")


@pytest.fixture(scope="module")
def history() -> tuple[list, list[ReplayRecord]]:
    """The simulator's history cut two weeks before its end, which is today: most churners
    are on their way out and not yet gone, so the list has them to show."""
    # Ending two weeks before today: the care tasks of the last days are still open.
    monday = date.today() - timedelta(days=56)
    monday -= timedelta(days=monday.weekday())
    truths, generated = simulate(SimConfig(customers=240, days=70, seed=11, start=monday))
    records = list(generated)
    cut = max(r.ts for r in records) - timedelta(days=14)
    kept = [ReplayRecord(r.topic, r.key, orjson.dumps(r.value)) for r in records if r.ts < cut]
    return truths, kept


@pytest.fixture(scope="module")
def console(history, redis_server: EmbeddedRedis, tmp_path_factory) -> Iterator[str]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail("chromium and chromium-driver are needed (make services installs them)")
    _, records = history
    assert _expected_at_risk(records), "a history with nobody at risk shows nothing"
    with EmbeddedBroker() as broker:
        ensure_topics(Settings(kafka_bootstrap=broker.bootstrap))
        produced = produce_records(broker.bootstrap, records)
        env = {
            "CHURNWATCH_API_TOKEN": TOKEN, "CHURNWATCH_CONSOLE": "1",
            "CHURNWATCH_REDIS_PREFIX": PREFIX,
            "CHURNWATCH_TIMEZONE": "Asia/Shanghai",
        }  # fmt: skip
        with WorkerProcess(broker.bootstrap, redis_server.url, env=env) as worker:
            wait_for_metric(worker, "churnwatch_events_total", lambda n: n >= produced, 180)
            expected = _expected_at_risk(records)
            wait_until(
                lambda: _listed_by_api(worker.url) == expected,
                timeout=60,
                what="the store to hold the oracle's customers at risk",
            )
            yield worker.url


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator:
    options = Options()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium")
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1400,1000", f"--user-data-dir={profile}",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def _expected_at_risk(records: list[ReplayRecord]) -> set[str]:
    runner = OfflineRunner(Policy(), Calendar())
    runner.run(records)
    return {
        state.customer_id
        for engine in runner.engines.values()
        for state in engine.states.values()
        if state.level in AT_RISK and state.churned_ts is None
    }


def _listed_by_api(base: str) -> set[str]:
    import urllib.request

    request = urllib.request.Request(f"{base}/customers/at-risk?limit=500")
    request.add_header("Authorization", f"Bearer {TOKEN}")
    with urllib.request.urlopen(request, timeout=5) as response:
        return {c["customer_id"] for c in orjson.loads(response.read())["customers"]}


def _rows(driver) -> list[dict]:
    """The list's rows, read in one script: the page re-renders itself every few seconds, so
    elements found one by one may be gone by the next call."""
    return driver.execute_script(
        """return [...document.querySelectorAll('#at-risk tbody tr[data-customer]')].map(r => ({
            id: r.dataset.customer, level: r.querySelector('.lv').textContent,
            reasons: r.cells[7].innerText, task: !!r.querySelector('.task-due')}));"""
    )


def _texts(driver, css: str) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText);", css
    )


def _click(driver, css: str) -> None:
    for _ in range(10):
        try:
            driver.find_element(By.CSS_SELECTOR, css).click()
            return
        except StaleElementReferenceException:
            continue  # re-rendered between finding and clicking: find it again
    raise AssertionError(f"could not click {css}")


def _wait(driver, what: str, check) -> None:
    try:
        wait_until(lambda: bool(check()), timeout=15, what=what, interval=0.1)
    except TimeoutError as exc:
        logs = driver.get_log("browser") if hasattr(driver, "get_log") else []
        raise TimeoutError(
            f"{exc}; at {driver.current_url}; console: {logs}; page: "
            f"{driver.find_element(By.TAG_NAME, 'body').text[:500]!r}"
        ) from exc


def _shoot(driver, name: str) -> None:
    if os.environ.get("CHURNWATCH_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / f"{name}.png"))


def _login(driver, base: str, token: str) -> None:
    driver.get(f"{base}/console")
    _wait(driver, "the login form", lambda: driver.find_elements(By.NAME, "token"))
    driver.find_element(By.NAME, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#login button").click()


def test_a_wrong_token_sees_nothing(console: str, browser, history) -> None:
    browser.delete_all_cookies()
    _login(browser, console, "not-the-token")
    _wait(browser, "the refusal", lambda: "not valid" in browser.page_source)
    truths, _ = history
    page = browser.page_source
    assert not any(truth.customer_id in page for truth in truths)
    assert not browser.find_elements(By.ID, "at-risk")


def test_the_list_shows_the_churners_and_no_steady_customer(console: str, browser, history):
    browser.delete_all_cookies()
    _login(browser, console, TOKEN)
    _wait(browser, "the at-risk list", lambda: _rows(browser))
    truths, records = history
    churners = {t.customer_id for t in truths if t.churn_date is not None}
    expected = _expected_at_risk(records)
    listed = _listed_in_page(browser)
    assert listed == expected and listed
    assert listed <= churners, f"steady customers listed: {sorted(listed - churners)}"
    # No phone number anywhere: the store holds none, the page shows none.
    assert not re.search(r"\+?\d{11,}", browser.page_source)
    with_task = [row for row in _rows(browser) if row["task"]]
    assert with_task, "no listed customer shows an open task"
    _shoot(browser, "at-risk")


def _listed_in_page(driver) -> set[str]:
    """Every page of the list, following "More"."""
    listed: set[str] = set()
    while True:
        listed |= {row["id"] for row in _rows(driver)}
        if not driver.find_elements(By.ID, "more"):
            return listed
        before = {row["id"] for row in _rows(driver)}
        _click(driver, "#more")
        _wait(driver, "the next page", lambda seen=before: _page_changed(driver, seen))


def _page_changed(driver, before: set[str]) -> bool:
    return {row["id"] for row in _rows(driver)} != before


def test_a_filter_narrows_the_list(console: str, browser) -> None:
    browser.get(f"{console}/console#/")
    _wait(browser, "the at-risk list", lambda: _rows(browser))
    everyone = len(_rows(browser))
    Select(browser.find_element(By.NAME, "level")).select_by_value("critical")
    _click(browser, "#filters button")
    _wait(browser, "the filtered list", lambda: "level=critical" in browser.current_url)
    _wait(browser, "the filtered rows", lambda: len(_rows(browser)) < everyone)
    levels = {row["level"] for row in _rows(browser)}
    assert levels == {"critical"}


def test_the_customer_page_shows_its_reasons_history_and_tasks(console: str, browser) -> None:
    browser.get(f"{console}/console#/")
    _wait(browser, "the at-risk list", lambda: _rows(browser))
    customer = _rows(browser)[0]["id"]
    _click(browser, f'tr[data-customer="{customer}"] a')
    _wait(browser, "the customer page", lambda: _texts(browser, "#reasons tbody tr"))
    assert customer in _texts(browser, "#risk h2")[0]
    reasons = _texts(browser, "#reasons tbody tr")
    assert reasons and all(row.strip() for row in reasons)
    assert _texts(browser, "#alerts tbody tr")
    assert browser.find_elements(By.ID, "level-chart")
    _shoot(browser, "customer")


def test_the_language_toggle_switches_every_visible_text(console: str, browser) -> None:
    browser.get(f"{console}/console#/")
    _wait(browser, "the at-risk list", lambda: _rows(browser))
    assert "At risk" in browser.find_element(By.TAG_NAME, "body").text
    _click(browser, "#lang")
    _wait(browser, "Chinese", lambda: "流失预警" in browser.find_element(By.TAG_NAME, "body").text)
    _wait(browser, "the list again", lambda: _rows(browser))
    text = browser.find_element(By.TAG_NAME, "body").text
    assert not [label for label in ENGLISH_LABELS if label in text]
    reasons = [row["reasons"] for row in _rows(browser)]
    assert all(_has_chinese(reason) for reason in reasons if reason)
    _shoot(browser, "at-risk-zh")
    _click(browser, "#lang")  # back to English for the tests after
    _wait(browser, "English", lambda: "At risk" in browser.find_element(By.TAG_NAME, "body").text)


def test_a_desk_lists_open_tasks_by_due_time(console: str, browser) -> None:
    queues = {}
    for channel in CHANNELS:
        browser.get(f"{console}/console#/desk/{channel}")
        browser.refresh()  # a new hash alone does not reload the page
        _wait(browser, "the desk", lambda: _texts(browser, "#desk tbody tr"))
        due = browser.execute_script(
            "return [...document.querySelectorAll('#desk tbody tr[data-task]')]"
            ".map(r => r.dataset.due);"
        )
        queues[channel] = due
        if due:
            _shoot(browser, "desk")
    assert any(queues.values()), "no open task on any desk"
    for due in queues.values():
        assert due == sorted(due)  # by due time: whatever is overdue comes first


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_list_updates_without_a_reload(console: str, browser, redis_server) -> None:
    browser.get(f"{console}/console#/")
    _wait(browser, "the at-risk list", lambda: _rows(browser))
    marker = browser.execute_script("window.notReloaded = true; return window.notReloaded;")
    assert marker
    client = redis.Redis.from_url(redis_server.url)
    fields = {
        "score": "0.999", "level": "critical", "stage": "departure", "value_tier": "gold",
        "reasons": "[]", "alert_id": "", "updated": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    client.hset(f"{PREFIX}risk:LIVE-1", mapping=fields)
    client.zadd(f"{PREFIX}at_risk", {"LIVE-1": 0.999})
    try:
        _wait(browser, "the new customer", lambda: "LIVE-1" in _listed_now(browser))
        assert browser.execute_script("return window.notReloaded === true;")
    finally:
        client.delete(f"{PREFIX}risk:LIVE-1")
        client.zrem(f"{PREFIX}at_risk", "LIVE-1")


def _listed_now(driver) -> set[str]:
    return {row["id"] for row in _rows(driver)}
