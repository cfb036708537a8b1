"""Local fakes of Microsoft's services for the Teams tests and the load benchmark.

`FakeMicrosoft` runs two stdlib servers on loopback, like `slack_fake.FakeSlack`:

- plain HTTP, playing the Bot Framework's OpenID metadata and signing keys (an RSA key the test
  makes), the Bot Connector (`/v3/conversations/{id}/activities`, replies, updates, members) and
  Microsoft Graph (`/graph/v1.0/users/{id}/manager`), recording every call;
- HTTPS with a certificate from a test CA made here, playing the Entra token endpoint (MSAL
  insists on https); `ca_file` is the CA to trust.

`activity_token` signs a token the way the Bot Connector does (issuer, audience, serviceurl);
`fail_next` makes the next call to a path kind fail; `latency` delays every connector call.
Both servers answer every route, so a test can put the Bot Connector, Graph and the signing keys
behind TLS too (`over_tls`); `peers` keeps each call's source port (to tell calls relayed by
`recording_proxy` from direct ones).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import re
import ssl
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CLIENT_ID = "00000000-0000-4000-8000-00000000b07a"
CLIENT_SECRET = "test-client-secret"
TENANT = "11111111-2222-4333-8444-555555555555"
BOT_ID = f"28:{CLIENT_ID}"
ISSUER = "https://api.botframework.com"
KEY_ID = "guidebot-test-key"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _test_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1/localhost signed by it: (ca, cert, key) files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = new_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "guidebot test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = new_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_file, cert_file, key_file


class FakeMicrosoft:
    def __init__(
        self,
        members: dict[str, dict] | None = None,
        managers: dict[str, dict] | None = None,
        latency: float = 0.0,
    ):
        self.members = members or {}  # Teams user id -> member (email, userPrincipalName, aadObjectId, name)
        self.managers = managers or {}  # AAD object id -> Graph user of the manager
        self.latency = latency
        self.key = new_key()
        self.calls: list[tuple[str, str, dict]] = []  # (kind, path, body)
        self.headers: list[tuple[str, dict]] = []
        self.token_requests: list[dict] = []
        self.message_ids: list[str] = []  # the id the fake gave each message the bot posted
        self.peers: list[tuple[str, int]] = []  # (kind, caller's port) of every call, keys and tokens too
        # kind -> [(status, body) or (status, body, headers)]: the next calls of that kind fail so
        self.fail_next: dict[str, list[tuple]] = {}
        self.attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._ids = count(1)
        self._folder = tempfile.TemporaryDirectory(prefix="guidebot-fake-ms-")
        self.ca_file, cert_file, key_file = _test_ca(Path(self._folder.name))
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # keep-alive + small writes would wait for delayed ACKs
            wbufsize = 1 << 16  # headers and body leave in one write (flushed after each request)

            def log_message(self, *args):  # keep test output quiet
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def do_GET(self):
                fake._handle(self, "GET", b"")

            def do_POST(self):
                fake._handle(self, "POST", self._body())

            def do_PUT(self):
                fake._handle(self, "PUT", self._body())

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256  # the stdlib's 5 drops connections under load (SYN retries, 1 s+)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.login = Server(("127.0.0.1", 0), Handler)
        self.login.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.login.socket = context.wrap_socket(self.login.socket, server_side=True)
        self._threads = [
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            for s in (self.server, self.login)
        ]

    # -- lifecycle

    def start(self) -> FakeMicrosoft:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        for server in (self.server, self.login):
            server.shutdown()
            server.server_close()
        self._folder.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def service_url(self) -> str:
        return self.base + "/teams/"

    @property
    def openid_metadata_url(self) -> str:
        return self.base + "/v1/.well-known/openidconfiguration"

    @property
    def graph_url(self) -> str:
        return self.base + "/graph/v1.0"

    @property
    def login_url(self) -> str:
        return f"https://127.0.0.1:{self.login.server_address[1]}"

    def over_tls(self, url: str) -> str:
        """The same service's URL on the TLS server (both servers answer every route)."""
        return url.replace(self.base, self.login_url, 1)

    # -- tokens

    def jwks(self) -> dict:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {"kty": "RSA", "use": "sig", "kid": KEY_ID, "alg": "RS256", "n": _b64(numbers.n), "e": _b64(numbers.e)}
            ]
        }

    def activity_token(
        self,
        service_url: str | None = None,
        audience: str = CLIENT_ID,
        issuer: str = ISSUER,
        expires_in: int = 3600,
        key: rsa.RSAPrivateKey | None = None,
        **claims,
    ) -> str:
        """A token as the Bot Connector signs it for an activity it sends to the bot."""
        now = int(time.time())
        payload = {
            "iss": issuer,
            "aud": audience,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": now + expires_in,
            "serviceurl": service_url or self.service_url,
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": KEY_ID})

    # -- what was called

    def calls_of(self, kind: str) -> list[tuple[str, dict]]:
        with self._lock:
            return [(path, body) for k, path, body in self.calls if k == kind]

    def posted(self) -> list[dict]:
        """Every activity the bot sent (new messages and replies), typing indicators left out."""
        with self._lock:
            return [
                body
                for kind, _, body in self.calls
                if kind in ("send", "reply") and body.get("type") != "typing"
            ]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 10.0) -> list[tuple[str, dict]]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [(path, body) for k, path, body in self.calls if k == kind]
                if len(found) >= count or time.monotonic() >= deadline:
                    return found
                self._changed.wait(timeout=max(0.0, deadline - time.monotonic()))

    def wait_posted(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._posted_unlocked()) < count and time.monotonic() < deadline:
                self._changed.wait(timeout=max(0.0, deadline - time.monotonic()))
            return self._posted_unlocked()

    def _posted_unlocked(self) -> list[dict]:
        return [b for k, _, b in self.calls if k in ("send", "reply") and b.get("type") != "typing"]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.headers.clear()
            self.message_ids.clear()
            self.peers.clear()

    def restore(self, members: dict[str, dict], managers: dict[str, dict]) -> None:
        """Back to a fresh fake (for a fake shared by several tests): no calls, no failures queued."""
        self.reset()
        with self._lock:
            self.members, self.managers = dict(members), dict(managers)
            self.fail_next.clear()
            self.attempts.clear()
            self.token_requests.clear()
            self.latency = 0.0

    # -- the services

    def _handle(self, handler: BaseHTTPRequestHandler, method: str, raw: bytes) -> None:
        parsed = urlparse(handler.path)
        path = parsed.path
        kind, status, body = self._route(method, path, raw, handler)
        with self._lock:
            self.attempts[kind] = self.attempts.get(kind, 0) + 1
            self.peers.append((kind, handler.client_address[1]))
            queued = self.fail_next.get(kind)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            self._send(handler, *failure)
            return
        if kind in ("send", "reply", "update", "member") and self.latency:  # the Bot Connector only
            time.sleep(self.latency)
        if kind not in ("metadata", "keys", "discovery"):
            try:
                recorded = json.loads(raw) if raw and kind != "upload" else {"raw": raw.decode("utf-8", "replace")}
            except ValueError:
                recorded = {"raw": raw.decode("utf-8", "replace")}
            with self._changed:
                if kind in ("send", "reply") and recorded.get("type") != "typing" and status == 200:
                    self.message_ids.append(body["id"])
                self.calls.append((kind, path, recorded))
                self.headers.append((kind, dict(handler.headers)))
                self._changed.notify_all()
        self._send(handler, status, body)

    def _route(self, method: str, path: str, raw: bytes, handler) -> tuple[str, int, dict]:
        if path == "/v1/.well-known/openidconfiguration":
            return "metadata", 200, {
                "issuer": ISSUER,
                "jwks_uri": self.base + "/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        if path == "/v1/.well-known/keys":
            return "keys", 200, self.jwks()
        match = re.fullmatch(r"/([^/]+)/v2\.0/\.well-known/openid-configuration", path)
        if match:
            tenant = match.group(1)
            return "discovery", 200, {
                "issuer": f"{self.login_url}/{tenant}/v2.0",
                "token_endpoint": f"{self.login_url}/{tenant}/oauth2/v2.0/token",
                "authorization_endpoint": f"{self.login_url}/{tenant}/oauth2/v2.0/authorize",
            }
        match = re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", path)
        if match and method == "POST":
            form = dict(parse_qsl(raw.decode()))
            with self._lock:
                self.token_requests.append({"tenant": match.group(1), **form})
            if form.get("client_secret") != CLIENT_SECRET or form.get("client_id") != CLIENT_ID:
                return "token", 401, {"error": "invalid_client", "error_description": "AADSTS7000215"}
            now = int(time.time())
            access = jwt.encode(
                {"aud": form.get("scope", "").removesuffix("/.default"), "iss": "fake-entra", "appid": CLIENT_ID,
                 "tid": match.group(1), "iat": now, "nbf": now, "exp": now + 3600},
                self.key, algorithm="RS256", headers={"kid": KEY_ID},
            )
            return "token", 200, {"token_type": "Bearer", "expires_in": 3600, "access_token": access}
        match = re.fullmatch(r"/teams/v3/conversations/([^/]+)/activities", path)
        if match and method == "POST":
            return "send", 200, {"id": f"bot-msg-{next(self._ids)}"}
        match = re.fullmatch(r"/teams/v3/conversations/([^/]+)/activities/([^/]+)", path)
        if match and method == "POST":
            return "reply", 200, {"id": f"bot-msg-{next(self._ids)}"}
        if match and method == "PUT":
            return "update", 200, {"id": match.group(2)}
        match = re.fullmatch(r"/teams/v3/conversations/([^/]+)/members/([^/]+)", path)
        if match and method == "GET":
            member = self.members.get(urllib.request.unquote(match.group(2)))
            if member is None:
                return "member", 404, {"error": {"code": "MemberNotFoundInConversation", "message": "not found"}}
            return "member", 200, member
        match = re.fullmatch(r"/graph/v1\.0/users/([^/]+)/manager", path)
        if match:
            manager = self.managers.get(match.group(1))
            if manager is None:
                return "manager", 404, {
                    "error": {"code": "Request_ResourceNotFound", "message": "Resource 'manager' does not exist."}
                }
            return "manager", 200, manager
        if path.startswith("/upload/") and method == "PUT":
            return "upload", 201, {"id": "file-1", "name": path.rsplit("/", 1)[-1]}
        return "unknown", 404, {"error": "not found"}

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)


def post(url: str, body: str | bytes, headers: dict[str, str], timeout: float = 20.0) -> tuple[int, str]:
    """POST JSON and return (status, body text), for any status."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
