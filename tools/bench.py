"""`make bench`: our stack and a stock Rasa 3.6 assistant, side by side in one run on this machine.

Each system is run as its users would run it by default: ours with `make run`'s script (as many
Rasa processes as cores behind nginx, Redis stores, action server, PostgreSQL), the stock one
with `rasa init` and `rasa run` on the same Redis. Over REST, closed loops:

1. one member, then eight members at once, each starting a new conversation every 10 messages:
   messages per second, p50 and p95 latency;
2. the growth of one conversation: GROWTH_CONVERSATIONS conversations of 300 messages each,
   taken in turn; the median latency of message 1, 150 and 300 (and the curve, docs/bench.png);
3. the resident memory of each process;
4. ours only: the SMS path, from the signed webhook to the 911 answer accepted by the local
   Twilio server (median of 20 new members).
The machine's noise: our one-member p50 is measured three times and the spread reported.
Writes docs/bench.md and docs/bench.png.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
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
STOCK_PORT = 5466
MEMBERS = (1, 8)
MESSAGES_PER_CONVERSATION = 10  # a member starts a new conversation every 10 messages
GROWTH_MESSAGES = 300
GROWTH_CONVERSATIONS = 10
GROWTH_MARKS = (1, 150, 300)
EMERGENCY_SMS = "je pense que je fais une crise cardiaque, douleur a la poitrine qui serre"
EMERGENCY_SAMPLES = 20
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
OURS_SYSTEM, STOCK_SYSTEM = "Coop Santé", "stock rasa init"


@dataclass
class Run:
    system: str
    members: int
    achieved: float  # messages answered per second
    latencies: list[float]  # seconds

    def percentile(self, p: float) -> float:
        return percentile(self.latencies, p)


@dataclass
class Growth:
    system: str
    by_message: list[list[float]]  # by_message[k]: the latencies of message k+1 (seconds)

    def median_ms(self, message: int) -> float:
        return statistics.median(self.by_message[message - 1]) * 1000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
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


async def closed_loop(base: str, texts: list[str], members: int, duration: float) -> Run:
    """`members` members, each waiting for the answer before writing again, for `duration` seconds."""
    latencies: list[float] = []
    tag = uuid.uuid4().hex[:6]
    stop = time.perf_counter() + duration
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=100)) as session:

        async def member(m: int) -> None:
            n = 0
            while time.perf_counter() < stop:
                sender = f"bench-{tag}-{m}-{n // MESSAGES_PER_CONVERSATION}"
                result = await _rest(session, base, sender, texts[n % len(texts)])
                n += 1
                if result is not None:
                    latencies.append(result)

        started = time.perf_counter()
        await asyncio.gather(*(member(m) for m in range(members)))
        elapsed = time.perf_counter() - started
    return Run("", members, len(latencies) / elapsed, latencies)


async def growth(system: str, base: str, texts: list[str]) -> Growth:
    """GROWTH_CONVERSATIONS conversations of GROWTH_MESSAGES messages, one message at a time, in turn."""
    tag = uuid.uuid4().hex[:6]
    by_message: list[list[float]] = [[] for _ in range(GROWTH_MESSAGES)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for k in range(GROWTH_MESSAGES):
            for c in range(GROWTH_CONVERSATIONS):
                result = await _rest(session, base, f"long-{tag}-{c}", texts[(k + c) % len(texts)])
                if result is not None:
                    by_message[k].append(result)
    return Growth(system, by_message)


async def emergency_sms(base: str, twilio: str, token: str) -> list[float]:
    """From the signed webhook to the 911 answer accepted by the local Twilio server, new members."""
    latencies = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for n in range(EMERGENCY_SAMPLES):
            phone = f"+1873555{n:04d}"
            result = await _sms(session, base, twilio, token, phone, EMERGENCY_SMS)
            if result is not None:
                latencies.append(result)
    return latencies


async def measure(system: str, base: str, texts: list[str], duration: float) -> tuple[list[Run], Growth]:
    await closed_loop(base, texts, 2, 3)  # warm-up: the first predictions build the graph
    runs = []
    for members in MEMBERS:
        run = await closed_loop(base, texts, members, duration)
        run.system = system
        runs.append(run)
    return runs, await growth(system, base, texts)


def memory_mb() -> dict[str, list[float]]:
    """Resident memory of each process of the stack (and of the stock assistant), by kind, from /proc."""
    rasa_ports = {str(PORTS["RASA_PORT"] + i) for i in range(0, 9)}
    found: dict[str, list[float]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
            status = (proc / "status").read_text()
        except OSError:
            continue
        port = argv[argv.index("--port") + 1] if "--port" in argv[:-1] else ""
        command = " ".join(argv)
        if "rasa" in command and " run actions" in command and port == str(PORTS["ACTIONS_PORT"]):
            name = "action server"
        elif "rasa" in command and " run " in command and port == str(STOCK_PORT):
            name = "stock Rasa server"
        elif "rasa" in command and " run " in command and port in rasa_ports:
            name = "Rasa server"
        elif "redis-server" in command and f":{PORTS['REDIS_PORT']}" in command:
            name = "Redis"
        elif "-m console" in command and port == str(PORTS["CONSOLE_PORT"]):
            name = "console"
        else:
            continue
        rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
        found.setdefault(name, []).append(rss / 1024)
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


def write_report(
    runs: list[Run],
    growths: list[Growth],
    memory: dict[str, list[float]],
    noise: list[float],
    sms: list[float],
    processes: int,
    out: Path,
) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Command: `make bench` (tools/bench.py). Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}. Ours: {processes} Rasa "
        "process(es) behind nginx, as `make run` starts them; stock: `rasa init`, `rasa run`.",
        "",
        f"Closed loop over REST: each member waits for the answer before writing again and starts a new "
        f"conversation every {MESSAGES_PER_CONVERSATION} messages. Latency in milliseconds.",
        "",
        "| system | members | msg/s | p50 ms | p95 ms | answered |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.system} | {run.members} | {run.achieved:.1f} | {run.percentile(50):.0f} | "
            f"{run.percentile(95):.0f} | {len(run.latencies)} |"
        )
    ours = {r.members: r for r in runs if r.system == OURS_SYSTEM}
    stock = {r.members: r for r in runs if r.system == STOCK_SYSTEM}
    lines += ["", "Ours against stock:", ""]
    for members in MEMBERS:
        if members in ours and members in stock:
            a, b = ours[members], stock[members]
            lines.append(
                f"- {members} member(s): {a.achieved / b.achieved:.2f}x the throughput; p50 {a.percentile(50):.0f} "
                f"vs {b.percentile(50):.0f} ms; p95 {a.percentile(95):.0f} vs {b.percentile(95):.0f} ms"
            )
    lines += [
        "",
        f"One conversation growing ({GROWTH_CONVERSATIONS} conversations of {GROWTH_MESSAGES} messages, taken "
        "in turn; median latency of message N, ms):",
        "",
        "| system | " + " | ".join(f"message {m}" for m in GROWTH_MARKS) + f" | {GROWTH_MARKS[-1]} / 1 |",
        "|---|" + "---:|" * (len(GROWTH_MARKS) + 1),
    ]
    for g in growths:
        marks = [g.median_ms(m) for m in GROWTH_MARKS]
        lines.append(f"| {g.system} | " + " | ".join(f"{v:.0f}" for v in marks) + f" | {marks[-1] / marks[0]:.2f} |")
    spread = f"{min(noise):.0f}–{max(noise):.0f} ms" if noise else "n/a"
    memory_text = ", ".join(
        f"{name} {' + '.join(f'{v:.0f}' for v in values)}" for name, values in sorted(memory.items())
    )
    lines += [
        "",
        f"SMS, webhook to the 911 answer accepted by the (local) Twilio API, {len(sms)} new members: "
        f"median {percentile(sms, 50):.0f} ms, p95 {percentile(sms, 95):.0f} ms.",
        "",
        f"Resident memory (MB, one figure per process): {memory_text}.",
        "",
        f"Noise: our one-member p50 over three runs: {', '.join(f'{n:.0f}' for n in noise)} ms ({spread}).",
        "",
        "![latency as one conversation grows](bench.png)",
        "",
    ]
    (out / "bench.md").write_text("\n".join(lines), encoding="utf-8")
    _plot(growths, out / "bench.png")


def _plot(growths: list[Growth], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    for g, style in zip(growths, ("-", "--"), strict=False):
        medians = [statistics.median(v) * 1000 if v else float("nan") for v in g.by_message]
        axis.plot(range(1, len(medians) + 1), medians, style, label=f"{g.system}, median")
    axis.set_xlabel("message number in the conversation")
    axis.set_ylabel("latency (ms)")
    axis.set_ylim(bottom=0)
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per closed loop")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--no-stock", action="store_true")
    args = parser.parse_args()
    token = uuid.uuid4().hex
    base = f"http://127.0.0.1:{PORTS['RASA_PORT']}"
    twilio = f"http://127.0.0.1:{PORTS['TWILIO_LOCAL_PORT']}"
    processes = int(os.environ.get("RASA_PROCESSES") or os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as run_dir, local_stack(PORTS, Path(run_dir), token):
        runs, ours_growth = asyncio.run(measure(OURS_SYSTEM, base, OURS, args.duration))
        noise = [runs[0].percentile(50)]
        noise += [asyncio.run(closed_loop(base, OURS, 1, args.duration)).percentile(50) for _ in range(2)]
        sms = asyncio.run(emergency_sms(base, twilio, token))
        growths = [ours_growth]
        memory = memory_mb()
    if not args.no_stock:
        work = Path(tempfile.mkdtemp(prefix="stock-rasa-"))
        with tempfile.TemporaryDirectory() as redis_dir:
            redis_server = subprocess.Popen(
                ["redis-server", "--port", str(PORTS["REDIS_PORT"]), "--save", "", "--dir", redis_dir],
                stdout=subprocess.DEVNULL,
            )
            stock = stock_assistant(work, PORTS["REDIS_PORT"])
            try:
                stock_runs, stock_growth = asyncio.run(
                    measure(STOCK_SYSTEM, f"http://127.0.0.1:{STOCK_PORT}", STOCK, args.duration)
                )
                runs += stock_runs
                growths.append(stock_growth)
                memory.update(memory_mb())
            finally:
                stock.terminate()
                stock.wait(timeout=30)
                redis_server.terminate()
                redis_server.wait(timeout=30)
                shutil.rmtree(work, ignore_errors=True)
    write_report(runs, growths, memory, noise, sms, processes, args.out)
    print((args.out / "bench.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
