"""The report opens in a real browser: Debian's chromium, headless.

A test-only copy of index.html gets a tiny script that writes, once the page has loaded,
how many <img> elements there are and how many failed to decode (naturalWidth == 0) into
document.title; ``--dump-dom`` prints the DOM after the load, title included. A screenshot of
the unmodified page must not be blank. Skipped, with the reason, when chromium is absent
(`.ci/run` installs it: apt-get install -y chromium).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian: apt-get install -y chromium); "
    "the browser check of the HTML report is skipped",
)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

PROBE = """<script>
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  document.title = "IMGCHECK " + images.length + " " + broken.length;
});
</script>"""


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def index(synthetic_report):
    """The synthetic run's HTML report (rendered once a session, in conftest)."""
    return synthetic_report["index"]


def test_every_image_loads(index, tmp_path):
    page = index.read_text()
    expected = page.count("<img ")
    assert expected == 7
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "\n</body>"))
    result = chromium(tmp_path, "--virtual-time-budget=15000", "--dump-dom", probe.as_uri())
    found = re.search(r"<title>IMGCHECK (\d+) (\d+)</title>", result.stdout)
    assert found, f"the probe did not run; chromium said: {result.stderr[-2000:]}"
    assert (int(found.group(1)), int(found.group(2))) == (expected, 0)


def test_the_probe_sees_a_broken_image(index, tmp_path):
    """The check can fail: an image whose bytes are not a PNG counts as broken."""
    page = index.read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1)
    probe = tmp_path / "broken.html"
    probe.write_text(page.replace("</body>", PROBE + "\n</body>"))
    result = chromium(tmp_path, "--virtual-time-budget=15000", "--dump-dom", probe.as_uri())
    found = re.search(r"<title>IMGCHECK (\d+) (\d+)</title>", result.stdout)
    assert found, f"the probe did not run; chromium said: {result.stderr[-2000:]}"
    assert int(found.group(2)) == 1


def test_screenshot_is_not_blank(index, tmp_path):
    from PIL import Image, ImageStat

    shot = tmp_path / "shot.png"
    result = chromium(tmp_path, "--window-size=1280,2400", f"--screenshot={shot}", index.as_uri())
    assert shot.is_file(), f"no screenshot; chromium said: {result.stderr[-2000:]}"
    with Image.open(shot) as image:
        grey = image.convert("L")
        assert grey.size == (1280, 2400)
        low, high = grey.getextrema()
        assert high - low > 100  # dark text on a light page
        assert ImageStat.Stat(grey).stddev[0] > 5
        histogram = grey.histogram()
        non_white = sum(histogram[:200]) / sum(histogram)
        assert non_white > 0.01, f"only {non_white:.2%} of the page is not white"


FIRST_SCREEN = """<style>#table-recommendation td, #table-recommendation th
{ background: rgb(255, 0, 255) !important; }</style>
<script>
window.addEventListener("load", function () {
  var table = document.querySelector("#table-recommendation table");
  var rows = table ? table.querySelectorAll("tbody tr") : [];
  var bottoms = Array.prototype.map.call(rows, function (r) {
    return r.cells[0].textContent.trim() + "@" + Math.round(r.getBoundingClientRect().bottom);
  });
  document.title = "FIRST " + window.innerHeight + " " + bottoms.join(" ");
});
</script>"""


def test_first_screen_shows_the_recommendation_table(index, tmp_path):
    """At 1280 x 800 the recommendation table's uint8, float32 and float64 rows are on screen
    before any scrolling: by the DOM (row positions), and in a screenshot (the table's cells
    are painted magenta in this test-only copy and counted)."""
    import numpy as np
    from PIL import Image

    probe = tmp_path / "first.html"
    probe.write_text(index.read_text().replace("</body>", FIRST_SCREEN + "\n</body>"))
    result = chromium(
        tmp_path,
        "--window-size=1280,800",
        "--virtual-time-budget=15000",
        "--dump-dom",
        probe.as_uri(),
    )
    found = re.search(r"<title>FIRST (\d+) ([^<]*)</title>", result.stdout)
    assert found, f"the probe did not run; chromium said: {result.stderr[-2000:]}"
    height = int(found.group(1))
    rows = dict(item.split("@") for item in found.group(2).split())
    for dtype in ("uint8", "float32", "float64"):
        assert dtype in rows and 0 < int(rows[dtype]) <= height, (dtype, rows, height)
    shot = tmp_path / "first.png"
    chromium(tmp_path, "--window-size=1280,800", f"--screenshot={shot}", probe.as_uri())
    with Image.open(shot) as image:
        rgb = np.asarray(image.convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    magenta = int(((r > 240) & (g < 20) & (b > 240)).sum())
    assert magenta > 0.05 * 1280 * 800, f"only {magenta} table pixels on the first screen"
