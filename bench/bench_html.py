"""The interactive page (``-o plan.html``) against the PNG: file size, the time the command takes to
write each, and the page's time in a real browser from navigation to the first frame with the
chart drawn (run by hand; needs playwright and a Chromium).

    python bench/bench_html.py [--repeat 5] [--chromium /usr/bin/chromium]

For 1,000 and 1,000,000 steps of a CyclicLR schedule (thousands of identical cycles: the hardest
curve to draw, and the easiest to compress) and of a cosine (every value different: the page's
worst case for size), in one run:

* size: the page's bytes / the PNG's bytes;
* command: ``lrplot SPEC -o plan.html`` / ``lrplot SPEC -o plan.png``, both served from a warm curve
  cache (the simulation is the same for both and is left out of both), medians of ``--repeat``
  child processes, run interleaved;
* browser: headless Chromium opens the page from disk; the time from navigation start to the first
  animation frame after the chart exists (the data inflated, uPlot built and drawn), read with
  ``performance.now()`` in the page, median of ``--repeat`` fresh pages; printed beside the PNG's
  command time (the time a reader waits for the picture either way) as a ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = {
    # thousands of identical cycles: the hardest curve to draw, and the easiest to compress
    "cyclic": """\
steps: {steps}
optimizer: {{type: SGD, lr: 0.001, momentum: 0.9}}
scheduler: {{type: CyclicLR, base_lr: 0.001, max_lr: 0.01, step_size_up: {half}, mode: triangular}}
""",
    # every value different: the page's data barely compresses (the page's worst case for size)
    "cosine": """\
steps: {steps}
scheduler: {{type: CosineAnnealingLR, T_max: {steps}}}
""",
}
FIRST_FRAME = """async () => {
  while (!(window.lrplot && window.lrplot.ready)) await new Promise(r => setTimeout(r, 5));
  return await new Promise(r => requestAnimationFrame(() => r(performance.now())));
}"""


def command_time(spec: Path, out: Path, env: dict) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lrplot", str(spec), "-o", str(out), "-q"], check=True, env=env,
                   capture_output=True, timeout=600)
    return time.perf_counter() - t


def browser_times(page_path: Path, chromium: str, repeat: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(repeat):
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri(), wait_until="commit")
            times.append(page.evaluate(FIRST_FRAME) / 1000)  # ms since navigation start
            if errors:
                raise SystemExit(f"the page failed: {errors[0]}")
            page.close()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    args = parser.parse_args()
    if not args.chromium:
        raise SystemExit("no Chromium found: pass --chromium PATH")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LRPLOT_CACHE_DIR": str(tmp_path / "cache")}
        rows = []
        for (name, text), n in ((kv, n) for kv in SPECS.items() for n in (1_000, 1_000_000)):
            half = max(n // 4000, 2) if n >= 100_000 else max(n // 40, 2)
            spec = tmp_path / f"{name}_{n}.yaml"
            spec.write_text(text.format(steps=n, half=half))
            png, page = tmp_path / f"{name}{n}.png", tmp_path / f"{name}{n}.html"
            command_time(spec, png, env)  # fills the curve cache: neither timing below simulates
            png_times, html_times = [], []
            for _ in range(args.repeat):  # interleaved: the machine's load falls on both alike
                png_times.append(command_time(spec, png, env))
                html_times.append(command_time(spec, page, env))
            shown = browser_times(page, args.chromium, args.repeat)
            rows.append((name, n, png.stat().st_size, page.stat().st_size, statistics.median(png_times),
                         statistics.median(html_times), statistics.median(shown)))
    print(f"{'curve':6} {'steps':>9} {'PNG KB':>8} {'page KB':>9} {'size x':>7} {'PNG cmd s':>9} {'page cmd s':>10} "
          f"{'cmd x':>6} {'browser s':>9} {'browser/PNG cmd':>15}")
    for name, n, png_size, page_size, png_t, html_t, shown_t in rows:
        print(f"{name:6} {n:>9,} {png_size / 1024:8.1f} {page_size / 1024:9.1f} {page_size / png_size:7.2f} {png_t:9.3f} "
              f"{html_t:10.3f} {html_t / png_t:6.2f} {shown_t:9.3f} {shown_t / png_t:15.2f}")


if __name__ == "__main__":
    main()
