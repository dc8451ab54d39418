"""Run the fake Bot API in a process of its own (for the benchmark): prints its port, serves
until stdin closes, then writes its transcript as JSON to the path given."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.telegram import FakeTelegram


async def main(cap: float, out: Path) -> None:
    """Serve, wait for stdin to close or a 'reset' line, dump the transcript."""
    fake = FakeTelegram(rate_cap_per_s=cap)
    await fake.start()
    print(fake.port, flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if line.strip() == "dump" or not line:
            sends = sum(1 for c in fake.calls if c.method == "sendMessage")
            data = {
                "chats": [m["chat"]["id"] for m in fake.sent],
                "sent_at": fake.sent_at,
                "send_calls": sends,
            }
            await asyncio.to_thread(out.write_text, json.dumps(data))
            fake.sent.clear()
            fake.sent_at.clear()
            fake.calls.clear()
            print("dumped", flush=True)
        if not line:
            break
    await fake.stop()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]), Path(sys.argv[2])))
