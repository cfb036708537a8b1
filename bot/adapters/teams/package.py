"""The Teams app package municipal IT uploads to the org's app catalog: `manifest.json`
(schema 1.25), `color.png` (192×192) and `outline.png` (32×32, white on transparent).

The icons are drawn here (a speech bubble holding a quotation mark) by a tiny PNG writer: two
small images do not earn an imaging library. The manifest's `botId` is TEAMS_CLIENT_ID; the
app's own id is derived from it, so rebuilding the package updates the same app.

In personal chat guidebot offers prompt starters (the bot's `commandLists`) rather than a welcome
message: Microsoft advises one or the other, and the issue's package asks for prompt starters.
The first starter, "hjelp", and "Hva logges om meg?" give the full notice (what guidebot does, what
it logs, why, for how long, whom to ask); the middle one is an example question the guidelines
answer, taken from the knowledge so it fits every municipality's documents.
"""

from __future__ import annotations

import json
import re
import struct
import uuid
import zipfile
import zlib
from pathlib import Path

from bot import __version__
from bot.answers import Guidebot
from bot.env import optional_env

MANIFEST_VERSION = "1.25"
HELP_STARTER = ("hjelp", "Hva guidebot gjør, hva som logges, hvorfor, hvor lenge, og hvem du kan spørre.")
LOG_STARTER = ("Hva logges om meg?", "Hva guidebot logger når du spør, hvorfor og hvor lenge: aldri hvem du er.")
EXAMPLE_QUESTION = "Kan jeg legge ut et bilde av en kollega?"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT = (0x1F, 0x5C, 0x99)  # a calm municipal blue
APP_NAMESPACE = uuid.UUID("6f1c1d2e-4c61-4f7e-9a55-6775696465b0")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}$")


class PackageError(Exception):
    """A value the package needs is missing or invalid; the message names it."""


# -- icons


def png(width: int, height: int, pixels: list[list[tuple[int, int, int, int]]]) -> bytes:
    """An RGBA PNG from rows of (r, g, b, a) pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(value for pixel in row for value in pixel) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _bubble(x: float, y: float) -> bool:
    """The speech bubble in unit coordinates (0..1): a rounded box and a tail at the lower left."""
    left, top, right, bottom, radius = 0.16, 0.2, 0.84, 0.68, 0.1
    inside_x, inside_y = left <= x <= right, top <= y <= bottom
    if inside_x and inside_y:
        cx = min(max(x, left + radius), right - radius)
        cy = min(max(y, top + radius), bottom - radius)
        return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2
    # tail: a triangle below the box
    return bottom <= y <= 0.84 and 0.28 <= x <= 0.28 + (0.84 - y) * 1.1


def _quote_mark(x: float, y: float) -> bool:
    """A closing quotation mark («»-style double wedge) inside the bubble."""
    for start in (0.36, 0.52):
        dx = x - start
        if 0 <= dx <= 0.12 and abs(y - 0.44) <= 0.12 - dx * 0.9 and abs(y - 0.44) >= 0.12 - dx * 0.9 - 0.07:
            return True
    return False


def _draw(size: int, background: tuple[int, int, int, int], bubble: tuple[int, int, int, int],
          mark: tuple[int, int, int, int]) -> bytes:
    rows = []
    for row in range(size):
        pixels = []
        for column in range(size):
            x, y = (column + 0.5) / size, (row + 0.5) / size
            if _bubble(x, y):
                pixels.append(mark if _quote_mark(x, y) else bubble)
            else:
                pixels.append(background)
        rows.append(pixels)
    return png(size, size, rows)


def color_icon() -> bytes:
    """192×192, full colour: a white bubble with a blue quotation mark on the accent colour."""
    return _draw(192, (*ACCENT, 255), (255, 255, 255, 255), (*ACCENT, 255))


def outline_icon() -> bytes:
    """32×32, white on transparent (Teams' rule for outline icons)."""
    return _draw(32, (255, 255, 255, 0), (255, 255, 255, 255), (255, 255, 255, 0))


# -- manifest


def _https(name: str, value: str) -> str:
    if not re.match(r"^https://[^\s/]+\.[^\s]+$", value or ""):
        raise PackageError(f"{name} must be an https:// URL, not {value!r}")
    return value


def manifest(client_id: str, bot: Guidebot, website: str, privacy_url: str, terms_url: str,
             domain: str = "") -> dict:
    """The app manifest (schema 1.25): one bot, in personal chat, teams and group chats."""
    if not _GUID.match(client_id or ""):
        raise PackageError(
            f"TEAMS_CLIENT_ID must be a GUID like 00000000-0000-0000-0000-000000000000, not {client_id!r}"
        )
    if domain and not _HOST.match(domain):
        raise PackageError(f"--domain must be a host name like guidebot.kommune.no, not {domain!r}")
    owner = next((d.owner for d in bot.knowledge.documents if d.owner), "guidebot")
    titles = ", ".join(d.title for d in bot.knowledge.documents)
    full = (
        "guidebot svarer på spørsmål om retningslinjene med et ordrett sitat og punktnummer, på bokmål, nynorsk "
        "og engelsk. Er den ikke sikker, spør den tilbake eller viser til nærmeste leder eller IT. "
        f"Den kjenner: {titles}. Spørsmålene logges uten hvem som spurte; ledere ser bare samlede tall."
    )
    found = {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": __version__,
        "id": str(uuid.uuid5(APP_NAMESPACE, client_id.lower())),
        "developer": {
            "name": owner[:32],
            "websiteUrl": _https("--website", website),
            "privacyUrl": _https("--privacy-url", privacy_url),
            "termsOfUseUrl": _https("--terms-url", terms_url),
        },
        "name": {"short": "guidebot", "full": f"guidebot: retningslinjene til {owner}"[:100]},
        "description": {
            "short": "Svar på spørsmål om retningslinjene, med ordrett sitat og punktnummer."[:80],
            "full": full[:4000],
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": client_id.lower(),
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": True,  # the leaders' HTML report is offered as a file
                "isNotificationOnly": False,
                "commandLists": [{"scopes": ["personal"], "commands": prompt_starters(bot)}],
            }
        ],
        "validDomains": [domain] if domain else [],
    }
    return found


def prompt_starters(bot: Guidebot) -> list[dict]:
    """"hjelp", an example question the knowledge answers, and "Hva logges om meg?"."""
    example = EXAMPLE_QUESTION
    if bot.ask(example).outcome != "answered":  # another municipality's guidelines
        example = next((q for e in bot.knowledge.entries for q in e.questions[:1]
                        if bot.ask(q).outcome == "answered"), "")
    starters = [HELP_STARTER]
    if example:
        starters.append((example[:128], "Et eksempel: svaret kommer med ordrett sitat og punktnummer."))
    starters.append(LOG_STARTER)
    return [{"title": title, "description": description} for title, description in starters]


def default_website(bot: Guidebot) -> str:
    """https:// and the domain of IT's e-mail address (the organisation's own site, usually)."""
    email = bot.contacts.it_email
    domain = email.rsplit("@", 1)[-1] if "@" in email else ""
    if not domain:
        raise PackageError("give --website (IT's e-mail in contacts.yaml has no domain to guess it from)")
    return f"https://{domain}"


def write_package(path: Path, bot: Guidebot, website: str | None = None, privacy_url: str | None = None,
                  terms_url: str | None = None, domain: str | None = None, client_id: str | None = None) -> Path:
    """Write the zip: manifest.json, color.png, outline.png. Needs TEAMS_CLIENT_ID (or `client_id`)."""
    client_id = client_id or optional_env("TEAMS_CLIENT_ID") or ""
    if not client_id:
        raise PackageError("TEAMS_CLIENT_ID is not set (the bot's id goes into the manifest; see .env.example)")
    website = website or default_website(bot)
    content = manifest(client_id, bot, website, privacy_url or website, terms_url or website, domain or "")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.json", json.dumps(content, ensure_ascii=False, indent=2))
            archive.writestr("color.png", color_icon())
            archive.writestr("outline.png", outline_icon())
    except OSError as error:
        raise PackageError(f"cannot write {path}: {error.strerror or error}") from error
    return path
