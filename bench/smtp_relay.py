"""Helpers for the sending benchmark, each run in its own process.

`python -m bench.smtp_relay sink PORT`: an aiosmtpd server that accepts and discards all.
`python -m bench.smtp_relay delay PORT TARGET_PORT MS`: a TCP relay to TARGET_PORT that
holds every chunk the server sends for MS milliseconds (each SMTP reply waits once).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from aiosmtpd.smtp import SMTP


class Discard:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


async def sink(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Discard(), hostname="sink"),
                                      "127.0.0.1", port)
    async with server:
        await server.serve_forever()


async def delay(port: int, target: int, ms: int) -> None:
    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                   wait: float) -> None:
        try:
            while chunk := await reader.read(65536):
                if wait:
                    await asyncio.sleep(wait)
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def relay(client_reader: asyncio.StreamReader,
                    client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(pipe(client_reader, server_writer, 0),
                             pipe(server_reader, client_writer, ms / 1000))

    server = await asyncio.start_server(relay, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    mode, *numbers = sys.argv[1:]
    args = [int(n) for n in numbers]
    asyncio.run(sink(*args) if mode == "sink" else delay(*args))
