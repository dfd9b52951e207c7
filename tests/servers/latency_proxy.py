"""A TCP proxy on 127.0.0.1 that holds every chunk back for a while in each direction: a database that is
further away. It widens the windows that a commit's round trip opens, so a kill test lands in them often."""
import asyncio
import threading


class LatencyProxy:
    def __init__(self, port: int, upstream_port: int, delay: float):
        self.port, self.upstream_port, self.delay = port, upstream_port, delay
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server = None

    def start(self) -> "LatencyProxy":
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connect, "127.0.0.1", self.port), self._loop).result(10)
        return self

    async def _connect(self, client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(self._pump(client_reader, upstream_writer), self._pump(upstream_reader, client_writer))

    async def _pump(self, reader, writer):
        try:
            while chunk := await reader.read(65536):
                await asyncio.sleep(self.delay)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        async def close():
            self._server.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
