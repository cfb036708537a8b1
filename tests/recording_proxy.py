"""A forwarding HTTP proxy on loopback that records what it relays, for checking that the bot's
clients honour HTTPS_PROXY (Slack's Web API, Teams' Entra, Bot Connector and Graph calls).

- Plain http targets: it forwards `GET/POST http://host:port/path` (what a client sends a proxy
  for an http URL) and records `(method, url)` in `seen`.
- https targets: it opens the `CONNECT host:port` tunnel a client asks for (what a client sends
  a proxy for an https URL) and records `("CONNECT", "host:port")` in `seen`. It cannot see
  inside the TLS, so it also keeps `tunnel_ports`: the local port of each tunnel's connection to
  the target. A fake service that records its callers' ports can then tell, call by call, which
  ones came through the proxy.
"""

from __future__ import annotations

import select
import socket
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RecordingProxy:
    def __init__(self):
        self.seen: list[tuple[str, str]] = []
        self.tunnel_ports: set[int] = set()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else None
                with proxy._lock:
                    proxy.seen.append((self.command, self.path))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "host")}
                request = urllib.request.Request(self.path, data=data, method=self.command, headers=headers)
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy loop
                try:
                    with opener.open(request, timeout=10) as response:
                        status, body, kind = response.status, response.read(), response.headers.get("Content-Type")
                except urllib.error.HTTPError as error:
                    status, body, kind = error.code, error.read(), error.headers.get("Content-Type")
                self.send_response(status)
                self.send_header("Content-Type", kind or "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _relay

            def do_CONNECT(self):
                host, _, port = self.path.rpartition(":")
                try:
                    upstream = socket.create_connection((host, int(port)), timeout=10)
                except (OSError, ValueError):
                    self.send_error(502)
                    return
                with proxy._lock:
                    proxy.seen.append(("CONNECT", self.path))
                    proxy.tunnel_ports.add(upstream.getsockname()[1])
                self.send_response(200, "Connection established")
                self.end_headers()
                self.close_connection = True
                _pipe(self.connection, upstream)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    sockets = [client, upstream]
    try:
        while True:
            readable, _, broken = select.select(sockets, [], sockets, 30)
            if broken or not readable:
                return
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                (upstream if source is client else client).sendall(data)
    except OSError:
        return
    finally:
        upstream.close()
