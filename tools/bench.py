"""`make bench`: speed of the real stack, and of a stock Rasa 3.6 assistant on the same machine and stores.

1. Starts `make run`'s stack on spare ports (Redis stores, action server, local Twilio) and times
   the model load. Sends an open-loop load of 5, 20 and 50 messages per second for DURATION seconds
   over the REST channel and over the SMS webhook (signed; latency = until the local Twilio server
   accepts the reply), a mix of coop questions, self-care questions and health complaints.
2. Finds the ceiling: a closed loop with 32 concurrent conversations, messages per second.
3. Reads the resident memory of each process.
4. Builds a stock assistant with `rasa init` (its own model, no custom component), runs it with
   the same Redis tracker and lock stores, and sends it the same REST loads and ceiling test.
Writes docs/bench.md (table) and docs/bench.png (plot). The machine's noise: the REST p50 at
5 msg/s is measured three times and the spread reported.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from twilio.request_validator import RequestValidator

from tools.local_stack import ROOT, local_stack

PORTS = {
    "RASA_PORT": 5405,
    "ACTIONS_PORT": 5455,
    "REDIS_PORT": 6394,
    "TWILIO_LOCAL_PORT": 5411,
    "CONSOLE_PORT": 5420,
    "POSTGRES_PORT": 5444,
}
STOCK_PORT = 5406
RATES = (5, 20, 50)
CEILING_CONCURRENCY = 32
OURS = [
    "c'est quoi vos heures d'ouverture?",
    "vous etes ou exactement",
    "j'ai le rhume, je fais quoi?",
    "mal de gorge depuis hier",
    "c quoi le 811",
    "j'ai mal à la poitrine",
    "mon bebe de 5 semaines fait 38.5",
    "merci bonne journee",
]
STOCK = ["hello", "I am sad", "yes", "goodbye", "are you a bot?", "great", "no", "hi there"]


@dataclass
class Run:
    system: str
    path: str
    rate: float  # offered, messages per second (0 = closed loop)
    achieved: float
    latencies: list[float]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")


async def _rest(session: aiohttp.ClientSession, base: str, sender: str, text: str) -> float | None:
    started = time.perf_counter()
    try:
        async with session.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as answer:
            await answer.read()
            return time.perf_counter() - started if answer.status == 200 else None
    except (TimeoutError, aiohttp.ClientError):
        return None


async def _sms(
    session: aiohttp.ClientSession, base: str, twilio: str, token: str, phone: str, text: str
) -> float | None:
    url = f"{base}/webhooks/sms/webhook"
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": phone, "To": "+18195550100", "Body": text, "NumMedia": "0"}
    headers = {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}
    try:  # a message refused or lost under overload counts as not served, as for REST
        before = await _count(session, twilio, phone)
        started = time.time()
        async with session.post(url, data=params, headers=headers) as answer:
            if answer.status != 200:
                return None
        deadline = started + 30
        while time.time() < deadline:
            messages = await _messages(session, twilio, phone)
            if len(messages) > before:
                return float(messages[before]["accepted_at"]) - started
            await asyncio.sleep(0.02)
    except (TimeoutError, aiohttp.ClientError):
        return None
    return None


async def _messages(session: aiohttp.ClientSession, twilio: str, phone: str) -> list[dict[str, Any]]:
    async with session.get(f"{twilio}/_local/messages", params={"to": phone}) as answer:
        return list(await answer.json())


async def _count(session: aiohttp.ClientSession, twilio: str, phone: str) -> int:
    return len(await _messages(session, twilio, phone))


async def open_loop(rate: float, duration: float, send: Any) -> tuple[float, list[float]]:
    """Send `rate` messages a second for `duration` seconds, whatever the answers' speed."""
    tasks = []
    started = time.perf_counter()
    total = int(rate * duration)
    for n in range(total):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n)))
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    latencies = [r for r in results if r is not None]
    return len(latencies) / elapsed, latencies


async def closed_loop(concurrency: int, duration: float, send: Any) -> tuple[float, list[float]]:
    latencies: list[float] = []
    stop = time.perf_counter() + duration

    async def worker(w: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            result = await send(w * 100_000 + n)
            n += 1
            if result is not None:
                latencies.append(result)

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def measure(system: str, base: str, texts: list[str], duration: float, sms: tuple[str, str] | None) -> list[Run]:
    runs = []
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=500)) as session:
        tag = uuid.uuid4().hex[:6]

        def rest_send(n: int) -> Any:
            # 1,000 conversations: at 50 msg/s each writes every 20 s, as members do, not every 2 s.
            return _rest(session, base, f"bench-{tag}-{n % 1000}", texts[n % len(texts)])

        def ceiling_send(n: int) -> Any:
            # Each worker is one conversation at a time (n = worker * 100000 + count): no lock waits.
            return _rest(session, base, f"bench-{tag}-w{n // 100_000}-{n % 100_000 // 10}", texts[n % len(texts)])

        for rate in RATES:
            achieved, latencies = await open_loop(rate, duration, rest_send)
            runs.append(Run(system, "REST", rate, achieved, latencies))
        if sms:
            twilio, token = sms
            for rate in RATES:

                def sms_send(n: int, rate: float = rate) -> Any:
                    phone = f"+1873{200 + int(rate):03d}{n % 10_000:04d}"  # a valid exchange: the channel checks
                    return _sms(session, base, twilio, token, phone, texts[n % len(texts)])

                achieved, latencies = await open_loop(rate, duration, sms_send)
                runs.append(Run(system, "SMS", rate, achieved, latencies))
        achieved, latencies = await closed_loop(CEILING_CONCURRENCY, duration, ceiling_send)
        runs.append(Run(system, "REST", 0, achieved, latencies))
    return runs


async def noise_run(base: str, duration: float) -> float:
    """The REST p50 at 5 msg/s once more: three of these show how much the machine itself varies."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        tag = uuid.uuid4().hex[:6]
        _, latencies = await open_loop(
            5, duration, lambda n: _rest(session, base, f"bruit-{tag}-{n}", OURS[n % len(OURS)])
        )
    return Run("", "", 5, 0, latencies).percentile(50)


def memory_mb() -> dict[str, float]:
    """Resident memory of the stack's processes (and the stock assistant's), by name, from /proc."""
    names = {
        PORTS["RASA_PORT"]: "Rasa server",
        PORTS["ACTIONS_PORT"]: "action server",
        PORTS["REDIS_PORT"]: "Redis",
        PORTS["CONSOLE_PORT"]: "console",
        PORTS["TWILIO_LOCAL_PORT"]: "local Twilio",
        STOCK_PORT: "stock Rasa server",
    }
    found: dict[str, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (proc / "status").read_text()
        except OSError:
            continue
        for port, name in names.items():
            if f"--port {port}" in command or f":{port}" in command:
                rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
                found[name] = max(found.get(name, 0.0), rss / 1024)
    return found


def stock_assistant(work: Path, redis_port: int) -> subprocess.Popen[str]:
    """`rasa init` as it comes, trained, run on the same Redis stores."""
    rasa = str(ROOT / ".venv" / "bin" / "rasa")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run(
        [rasa, "init", "--no-prompt", "--init-dir", str(work)],
        cwd=work,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    (work / "endpoints.yml").write_text(
        f"tracker_store:\n  type: redis\n  url: 127.0.0.1\n  port: {redis_port}\n  db: 1\n"
        f"lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: {redis_port}\n  db: 1\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [rasa, "run", "--enable-api", "--port", str(STOCK_PORT), "--endpoints", "endpoints.yml"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{STOCK_PORT}/status", timeout=2).close()
            return process
        except OSError:
            time.sleep(1)
    raise RuntimeError("the stock assistant did not start")


def write_report(runs: list[Run], load_seconds: float, memory: dict[str, float], noise: list[float], out: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Command: `make bench` (tools/bench.py). Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}.",
        "",
        "Open-loop load (messages sent at a fixed rate whatever the answers' speed) for each rate; latency",
        "in milliseconds. REST: until the HTTP answer. SMS: from the signed webhook to the reply accepted",
        "by the (local) Messages API. Ceiling: closed loop, " f"{CEILING_CONCURRENCY} conversations at once, REST.",
        "",
        "| system | path | offered msg/s | achieved msg/s | p50 ms | p95 ms | p99 ms | answered |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        offered = "ceiling" if run.rate == 0 else f"{run.rate:g}"
        lines.append(
            f"| {run.system} | {run.path} | {offered} | {run.achieved:.1f} | {run.percentile(50):.0f} | "
            f"{run.percentile(95):.0f} | {run.percentile(99):.0f} | {len(run.latencies)} |"
        )
    ours = {(r.path, r.rate): r for r in runs if r.system == "Coop Santé"}
    stock = {(r.path, r.rate): r for r in runs if r.system == "stock rasa init"}
    lines += ["", "Ratio to the stock assistant (REST, p50 latency; ceiling throughput):", ""]
    for rate in (*RATES, 0):
        if ("REST", rate) in ours and ("REST", rate) in stock:
            a, b = ours[("REST", rate)], stock[("REST", rate)]
            if rate:
                lines.append(
                    f"- {rate} msg/s: p50 {a.percentile(50):.0f} ms vs {b.percentile(50):.0f} ms "
                    f"(x{a.percentile(50) / b.percentile(50):.1f})"
                )
            else:
                lines.append(f"- ceiling: {a.achieved:.1f} vs {b.achieved:.1f} msg/s (x{a.achieved / b.achieved:.2f})")
    spread = f"{min(noise):.0f}–{max(noise):.0f} ms" if noise else "n/a"
    lines += [
        "",
        f"Model load (start to answering, whole stack): {load_seconds:.0f} s.",
        f"Noise: REST p50 at 5 msg/s over three runs: {', '.join(f'{n:.0f}' for n in noise)} ms ({spread}).",
        "",
        "Resident memory (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(memory.items())) + ".",
        "",
        "![latency by load](bench.png)",
        "",
    ]
    (out / "bench.md").write_text("\n".join(lines), encoding="utf-8")
    _plot(runs, out / "bench.png")


def _plot(runs: list[Run], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    for system, path_name, style in (
        ("Coop Santé", "REST", "o-"),
        ("Coop Santé", "SMS", "s-"),
        ("stock rasa init", "REST", "^--"),
    ):
        chosen = [r for r in runs if r.system == system and r.path == path_name and r.rate]
        if chosen:
            axis.plot(
                [r.rate for r in chosen], [r.percentile(50) for r in chosen], style, label=f"{system} {path_name} p50"
            )
            axis.plot(
                [r.rate for r in chosen],
                [r.percentile(95) for r in chosen],
                style,
                alpha=0.4,
                label=f"{system} {path_name} p95",
            )
    axis.set_xlabel("offered load (messages per second)")
    axis.set_ylabel("latency (ms)")
    axis.set_yscale("log")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load level")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--no-stock", action="store_true")
    args = parser.parse_args()
    token = uuid.uuid4().hex
    base = f"http://127.0.0.1:{PORTS['RASA_PORT']}"
    twilio = f"http://127.0.0.1:{PORTS['TWILIO_LOCAL_PORT']}"
    with tempfile.TemporaryDirectory() as run_dir:
        started = time.time()
        with local_stack(PORTS, Path(run_dir), token):
            load_seconds = time.time() - started
            asyncio.run(measure("warm-up", base, OURS, 3, None))
            noise = [
                asyncio.run(measure("Coop Santé", base, OURS, args.duration, None))[0].percentile(50) for _ in range(3)
            ]
            runs = asyncio.run(measure("Coop Santé", base, OURS, args.duration, (twilio, token)))
            memory = memory_mb()
            if not args.no_stock:
                work = Path(tempfile.mkdtemp(prefix="stock-rasa-"))
                stock = stock_assistant(work, PORTS["REDIS_PORT"])
                try:
                    stock_base = f"http://127.0.0.1:{STOCK_PORT}"
                    asyncio.run(measure("warm-up", stock_base, STOCK, 3, None))
                    runs += asyncio.run(measure("stock rasa init", stock_base, STOCK, args.duration, None))
                    memory.update(memory_mb())
                finally:
                    stock.terminate()
                    stock.wait(timeout=30)
                    shutil.rmtree(work, ignore_errors=True)
    write_report(runs, load_seconds, memory, noise, args.out)
    print((args.out / "bench.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
