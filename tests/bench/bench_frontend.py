"""Front-end benchmarks in Debian's headless Chromium (Playwright), on the province-scale demo.

- first map: from the navigation to the command view until MapLibre's first complete frame
  (``window.hazmap.handle.ready``: style, tiles of the opening view drawn), for the province regulator
  (≈ 1,000 hazard sources in view), against the baseline of fetching the same data (the TileJSON and
  every tile the map asked for) from the same page, in parallel, without drawing anything: the ratio
  is what the front end adds on top of its data.
- live updates: 500 sensor changes a second pushed through the view's live-event path (the stream's
  batching, the alarm store, the card and the feature-state of the map) for a few seconds over a
  park at zoom 15 (the median position of the first 1,000 sensors), against the same seconds without
  changes: the longest frame (time between animation frames) and the 99th percentile in each, and
  their ratio. Software WebGL (SwiftShader) draws here, so absolute frame times are far above a
  GPU's; the ratio is the figure.

Run: ``python -m tests.bench.bench_frontend`` (builds the province demo into a throwaway SpatiaLite
file and serves it; ``--scale park`` for the park; ``--var DIR`` keeps the demo there and reuses it)
— needs the built front end (``make frontend``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.bench.harness import HEADER, Figure

ROOT = Path(__file__).resolve().parents[2]
HAZMAP = str(Path(sys.executable).with_name("hazmap"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
UPDATES_PER_S = 500
SECONDS = 4
REPEAT = 5

# Frames between requestAnimationFrame callbacks for ``ms``, optionally pushing ``rate`` sensor changes a
# second (in batches every 20 ms) into the live path the stream feeds (LiveStream.receive → listeners).
FRAMES = """async ([ms, rate, ids]) => {
  const live = window.hazmap.handle.live;
  const frames = [];
  let last = performance.now(), n = 0, sent = 0;
  const start = last;
  const push = rate ? setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; sent < due; sent++) {
      const id = ids[sent % ids.length];
      const state = sent % 50 === 0 ? "hi" : "normal";
      live.receive({ lastEventId: String(1e9 + sent), data: JSON.stringify({ collection: "sensors", id,
        action: "update", time: new Date().toISOString(), properties: { value: Math.random() * 100,
        alarm_state: state, quality: 0 }, geometry: null }) });
    }
  }, 20) : null;
  await new Promise((resolve) => {
    const tick = (now) => {
      frames.push(now - last);
      last = now;
      if (now - start < ms) requestAnimationFrame(tick); else resolve();
    };
    requestAnimationFrame(tick);
  });
  if (push) clearInterval(push);
  return { frames, sent };
}"""

JUMP = """([lon, lat, zoom]) => new Promise((resolve) => {
  const map = window.hazmap.handle.map;
  map.jumpTo({ center: [lon, lat], zoom });
  map.once("idle", resolve);
})"""

DATA_ONLY = """async (urls) => {
  const t = performance.now();
  await Promise.all(urls.map((u) => fetch(u, { credentials: "same-origin" }).then((r) => r.arrayBuffer())));
  return performance.now() - t;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(scale: str, var: Path) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "HAZMAP_VAR_DIR": str(var),
        "DATABASE_URL": f"spatialite:///{var / 'bench.sqlite3'}",
        "HAZMAP_SIMULATE": "false",
        "HAZMAP_LOG_LEVEL": "WARNING",
    }
    if not (var / "bench.sqlite3").exists():
        subprocess.run([HAZMAP, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([HAZMAP, "load-demo", "--scale", scale], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [HAZMAP, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2).close()
            return process, url
        except OSError:
            time.sleep(0.25)
    process.terminate()
    raise SystemExit("hazmap serve did not answer within a minute")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench(url: str, user: str) -> list[Figure]:
    from playwright.sync_api import sync_playwright

    figures = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(f"{url}/login/?next=/")
        page.fill("#id_username", user)
        page.fill("#id_password", "hazmap-demo")
        page.click("button.submit")
        page.wait_for_url(f"{url}/")
        first, data = [], []
        for _ in range(REPEAT):
            tiles: list[str] = []
            page.context.on("request", lambda r, tiles=tiles: ".mvt" in r.url and tiles.append(r.url))
            started = time.perf_counter()
            page.goto(f"{url}/")
            page.wait_for_function("window.hazmap && window.hazmap.handle")
            page.evaluate("window.hazmap.handle.ready")
            first.append(time.perf_counter() - started)
            data.append(page.evaluate(DATA_ONLY, [f"{url}/tiles/map.json", *tiles]) / 1000)
        figures.append(
            Figure(
                "first map (command view, province regulator)",
                statistics.median(first),
                statistics.median(data),
                f"baseline: fetching its TileJSON and {len(tiles)} tiles",
            )
        )
        print(figures[-1].line(), flush=True)

        sensors = json.loads(
            page.request.get(f"{url}/ogc/collections/sensors/items?f=json&limit=1000&skipGeometry=false").text()
        )["features"]
        lon = statistics.median(f["geometry"]["coordinates"][0] for f in sensors)
        lat = statistics.median(f["geometry"]["coordinates"][1] for f in sensors)
        page.evaluate(JUMP, [lon, lat, 15])
        ids = page.evaluate(
            "[...new Set(window.hazmap.handle.map.queryRenderedFeatures({layers: ['sensors-point']}).map((f) => f.id))]"
        )
        quiet = page.evaluate(FRAMES, [SECONDS * 1000, 0, ids])["frames"]
        busy = page.evaluate(FRAMES, [SECONDS * 1000, UPDATES_PER_S, ids])
        note = (
            f"{busy['sent'] / SECONDS:.0f} changes/s over {len(ids)} sensors drawn; "
            f"{len(busy['frames'])} frames vs {len(quiet)}"
        )
        for name, q in (("longest frame", 1.0), ("frame p99", 0.99)):
            figures.append(
                Figure(
                    f"live updates: {name}",
                    percentile(busy["frames"], q) / 1000,
                    percentile(quiet, q) / 1000,
                    note,
                )
            )
            print(figures[-1].line(), flush=True)
        browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="province", choices=["park", "province"])
    parser.add_argument("--var", type=Path, help="keep the demo in this folder (loaded once, reused after)")
    args = parser.parse_args()
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        raise SystemExit("The front end is not built: run `make frontend`.")
    user = "shanghai" if args.scale == "province" else "park"
    with tempfile.TemporaryDirectory(prefix="hazmap-bench-frontend-") as scratch:
        var = args.var or Path(scratch)
        var.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        process, url = serve(args.scale, var)
        print(f"demo scale {args.scale} loaded and served in {time.perf_counter() - started:.1f} s; user {user}")
        print(HEADER)
        try:
            bench(url, user)
        finally:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
