"""The web pages in a real browser: headless Chromium (the Debian package) driven by Selenium.

Every formula lays out as MathML (no <merror>, a size, a fraction's numerator above its
denominator), the key values are there, hovering or focusing a symbol highlights its step
and its path in the diagram, nothing is fetched from the network, and a screenshot is not
blank. One browser serves the whole session. The tests skip when Chromium, its driver or
Selenium is missing, unless TRACER_REQUIRE_BROWSER is set (CI sets it).
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tracer
from tracer.cli import main
from tracer.evaluation import evaluate
from tracer.examples import example_spec
from tracer.network import build_trace
from tracer.renderer import render
from tracer.training import train

WAIT = 20  # seconds an explicit wait may take on a loaded machine (it returns when met)


def _driver() -> Any:
    """A headless Chromium, or a skip (a failure where a browser is required)."""
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium")
    if missing:
        if os.environ.get("TRACER_REQUIRE_BROWSER"):
            pytest.fail(f"TRACER_REQUIRE_BROWSER is set but {', '.join(missing)} is missing")
        pytest.skip(f"no {', '.join(missing)}")
    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--hide-scrollbars"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service(str(shutil.which("chromedriver"))))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    driver = _driver()
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every kind of page: two worked examples, a training run, and what `keys` and `check`
    write in HTML."""
    folder = tmp_path_factory.mktemp("pages")
    written = {}
    for example in ("seed", "softmax", "circuit", "sigmoid-neuron", "reuse"):
        written[example] = folder / f"{example}.html"
        written[example].write_text(render(evaluate(build_trace(example_spec(example))),
                                           "html"), encoding="utf-8")
    written["training"] = folder / "training.html"
    written["training"].write_text(render(train(build_trace(example_spec("softmax")), 20,
                                                keep=[1, 20]), "html", every=5),
                                   encoding="utf-8")
    homework = Path(tracer.__file__).parent.parent / "examples" / "homework.toml"
    assert main(["keys", str(homework), "--variants", "2", "--seed", "7", "-f", "html",
                 "-o", str(folder / "keys"), "--booklet"]) == 0
    written.update({"question": folder / "keys" / "v1.question.html",
                    "booklet": folder / "keys" / "booklet.html"})
    (folder / "sheet.txt").write_text("net_h1 = 0.3775\nout_h1 = 0.7\n", encoding="utf-8")
    (folder / "seed.toml").write_text(tracer.example_text("seed"), encoding="utf-8")
    written["feedback"] = folder / "feedback.html"
    assert main(["check", str(folder / "seed.toml"), str(folder / "sheet.txt"), "-f", "html",
                 "-o", str(written["feedback"])]) == 1
    return written


def _open(browser: Any, path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(path.as_uri())
    WebDriverWait(browser, WAIT).until(
        lambda b: b.execute_script("return document.readyState") == "complete")


# Every formula's layout, read in the page: folded steps opened first (a closed <details>
# lays nothing out). A fraction whose numerator is not above its denominator was not set as
# MathML (a browser without it runs the text together on one line).
_LAYOUT = """
document.querySelectorAll('details').forEach(function (d) { d.open = true; });
return Array.prototype.map.call(document.querySelectorAll('math'), function (m) {
  var box = m.getBoundingClientRect();
  var stacked = Array.prototype.every.call(m.querySelectorAll('mfrac'), function (f) {
    return f.children[0].getBoundingClientRect().bottom
      <= f.children[1].getBoundingClientRect().top + 1;
  });
  return [box.width, box.height, m.querySelectorAll('merror').length, stacked];
});
"""


@pytest.mark.parametrize("example,least", [("seed", 60), ("softmax", 60), ("training", 100),
                                           ("question", 10), ("booklet", 120),
                                           ("feedback", 20), ("circuit", 30),
                                           ("sigmoid-neuron", 50), ("reuse", 50)])
def test_every_formula_lays_out(browser: Any, pages: dict[str, Path], example: str,
                                least: int) -> None:
    _open(browser, pages[example])
    boxes = browser.execute_script(_LAYOUT)
    assert len(boxes) >= least
    assert all(width > 0 and height > 0 for width, height, _, _ in boxes)
    assert sum(errors for _, _, errors, _ in boxes) == 0
    assert all(stacked for *_, stacked in boxes)


def test_the_seed_page_shows_the_posts_numbers(browser: Any, pages: dict[str, Path]) -> None:
    """Mazur's published values: E_total before and after the update, w5⁺ and w1⁺; an inline
    diagram; derivations that fold."""
    _open(browser, pages["seed"])
    text = browser.execute_script("document.querySelectorAll('details').forEach("
                                  "function (d) { d.open = true; }); "
                                  "return document.body.innerText;")
    for value in ("0.298371109", "0.291027774", "0.35891648", "0.149780716", "0.75136507"):
        assert value in text
    assert browser.execute_script(
        "return document.querySelectorAll('aside svg .edge[data-quantity=\"w5\"] line').length"
    ) == 1
    _open(browser, pages["seed"])  # afresh: the folds as the page starts
    folds = browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('details'), "
        "function (d) { return d.open; });")
    assert True in folds and False in folds


def _styles(browser: Any) -> tuple[str, str]:
    """The background of w5's gradient step and the stroke of w5's edge in the diagram."""
    return tuple(browser.execute_script(
        "var step = document.querySelector('.step[data-q=\"dE_total/dw5\"]');"
        "var edge = document.querySelector('aside svg .edge[data-quantity=\"w5\"] line');"
        "return [getComputedStyle(step).backgroundColor, getComputedStyle(edge).stroke];"))


def _symbol(browser: Any, name: str) -> Any:
    """A symbol of `name` in a formula other than its own step (in w5⁺'s, for ∂E/∂w5)."""
    from selenium.webdriver.common.by import By

    css = f'.step:not([data-q="{name}"]) .q[data-q="{name}"]'
    found = browser.find_elements(By.CSS_SELECTOR, css)
    assert found, name
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", found[0])
    return found[0]


@pytest.mark.parametrize("how", ["hover", "focus"])
def test_a_symbol_highlights_its_step_and_path(browser: Any, pages: dict[str, Path],
                                                how: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, pages["seed"])
    before = _styles(browser)
    symbol = _symbol(browser, "dE_total/dw5")
    if how == "hover":
        ActionChains(browser).move_to_element(symbol).perform()
    else:
        browser.execute_script("arguments[0].focus();", symbol)
        assert browser.execute_script("return document.activeElement === arguments[0];", symbol)
    WebDriverWait(browser, WAIT).until(lambda b: _styles(b) != before)
    after = _styles(browser)
    assert after[0] != before[0] and after[1] != before[1]
    browser.execute_script("arguments[0].blur();", symbol)


def test_a_circuit_symbol_lights_its_step_and_wires(browser: Any,
                                                    pages: dict[str, Path]) -> None:
    """Hovering ∂f/∂a (in ∂f/∂x's sum of paths, on the reused value's page) lights its step
    and the wires of its path, a → m → f, in the circuit; not the others."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, pages["reuse"])
    lit = ("return [document.querySelector('.step[data-q=\"df/da\"]').classList.contains('hl'),"
           " Array.prototype.map.call(document.querySelectorAll('aside svg .edge.hl'),"
           " function (e) { return e.getAttribute('data-quantity'); }).sort(),"
           " getComputedStyle(document.querySelector("
           "'aside svg .edge[data-quantity=\"dm/da\"] polyline')).stroke];")
    before = browser.execute_script(lit)
    ActionChains(browser).move_to_element(_symbol(browser, "df/da")).perform()
    WebDriverWait(browser, WAIT).until(lambda b: b.execute_script(lit)[0])
    after = browser.execute_script(lit)
    assert after[1] == ["df/dm", "dm/da"] and after[2] != before[2]


def test_nothing_is_fetched(browser: Any, pages: dict[str, Path]) -> None:
    """No resource but the page itself, by the page's own account and by the browser's log of
    network requests."""
    browser.get_log("performance")  # earlier pages' entries
    _open(browser, pages["seed"])
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    import json

    requests = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
    urls = {m["params"]["request"]["url"] for m in requests
            if m["method"] == "Network.requestWillBeSent"}
    assert urls <= {pages["seed"].as_uri()}


_VARIANCE = """
var done = arguments[arguments.length - 1];
var image = new Image();
image.onload = function () {
  var canvas = document.createElement('canvas');
  canvas.width = image.width; canvas.height = image.height;
  var context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  var data = context.getImageData(0, 0, image.width, image.height).data;
  var sum = 0, squares = 0, n = data.length / 4;
  for (var i = 0; i < data.length; i += 4) {
    var grey = (data[i] + data[i + 1] + data[i + 2]) / 3;
    sum += grey; squares += grey * grey;
  }
  done(squares / n - (sum / n) * (sum / n));
};
image.src = 'data:image/png;base64,' + arguments[0];
"""


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("example", ["seed", "reuse"])
def test_a_screenshot_is_not_blank(browser: Any, pages: dict[str, Path], width: int,
                                   example: str) -> None:
    """Desktop and phone widths: the pixels vary (text, math and the diagram drew)."""
    browser.set_window_size(width, 900)
    try:
        _open(browser, pages[example])
        shot = browser.get_screenshot_as_base64()
        if os.environ.get("TRACER_SCREENSHOTS"):  # to look at them
            Path(os.environ["TRACER_SCREENSHOTS"], f"{example}-{width}.png").write_bytes(
                base64.b64decode(shot))
        browser.get("about:blank")
        assert browser.execute_async_script(_VARIANCE, shot) > 100
    finally:
        browser.set_window_size(1280, 900)


def test_the_keyboard_reaches_every_symbol(browser: Any, pages: dict[str, Path]) -> None:
    """One tab stop a formula; the arrow keys go from symbol to symbol within it."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, pages["seed"])
    stops = browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('math'), function (m) {"
        "  return m.querySelectorAll('.q[tabindex=\"0\"]').length; });")
    assert set(stops) <= {0, 1} and sum(stops) >= 60
    first = _symbol(browser, "dE_total/dw5")
    row = browser.execute_script("return Array.prototype.slice.call("
                                 "arguments[0].closest('math').querySelectorAll('.q'));", first)
    browser.execute_script("arguments[0].focus();", row[0])
    row[0].send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(browser, WAIT).until(
        lambda b: b.execute_script("return document.activeElement === arguments[0];", row[1]))
    assert browser.execute_script("return arguments[0].tabIndex;", row[1]) == 0


def test_a_link_to_a_folded_step_opens_it(browser: Any, pages: dict[str, Path]) -> None:
    """net_o2 is derived in a folded group (neuron o2 repeats o1); its anchor unfolds it."""
    from selenium.webdriver.support.ui import WebDriverWait

    _open(browser, pages["seed"])
    folded = "return document.getElementById('u1-net_o2').closest('details').open;"
    assert browser.execute_script(folded) is False
    browser.get(pages["seed"].as_uri() + "#u1-net_o2")
    WebDriverWait(browser, WAIT).until(lambda b: b.execute_script(folded) is True)
