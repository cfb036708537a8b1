"""`guidebot teams package`: the zip municipal IT uploads, its manifest validated against
Microsoft's manifest schema 1.25 (vendored in tests/data/teams, source noted there), and its
icons read back by a PNG reader that is not the writer."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
import zlib
from unittest.mock import ANY

import jsonschema
import pytest

from bot.adapters.teams import package
from bot.adapters.teams.package import PackageError, manifest, write_package
from tests.conftest import ROOT, plain_env

SCHEMA = ROOT / "tests" / "data" / "teams" / "MicrosoftTeams.v1.25.schema.json"
CLIENT_ID = "00000000-0000-4000-8000-00000000b07a"


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGBA rows of an 8-bit RGBA PNG (filter 0 rows only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, header, idat = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, kind
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert (depth, colour) == (8, 6)
    raw = zlib.decompress(idat)
    stride = 1 + width * 4
    rows = [raw[i * stride + 1:(i + 1) * stride] for i in range(height)]
    return width, height, rows


def test_package_has_a_schema_valid_manifest_and_both_icons(bot, tmp_path):
    path = write_package(tmp_path / "guidebot-teams.zip", bot, client_id=CLIENT_ID, domain="guidebot.batsfjord.kommune.no")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        found = json.loads(archive.read("manifest.json"))
        color = read_png(archive.read("color.png"))
        outline = read_png(archive.read("outline.png"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(found)
    assert found["manifestVersion"] == "1.25"
    (bot_entry,) = found["bots"]
    assert bot_entry["botId"] == CLIENT_ID and bot_entry["scopes"] == ["personal", "team", "groupChat"]
    assert bot_entry["commandLists"] == [{"scopes": ["personal"], "commands": [
        {"title": "hjelp", "description": package.HELP_STARTER[1]},
        {"title": "Kan jeg legge ut et bilde av en kollega?", "description": ANY},
        {"title": "Hva logges om meg?", "description": package.LOG_STARTER[1]},
    ]}]  # prompt starters
    assert found["developer"]["websiteUrl"] == "https://batsfjord.kommune.no"
    assert found["validDomains"] == ["guidebot.batsfjord.kommune.no"]
    assert color[:2] == (192, 192) and outline[:2] == (32, 32)
    assert all(row[i + 3] == 255 for row in color[2] for i in range(0, len(row), 4))  # full colour, opaque
    pixels = [outline[2][y][x:x + 4] for y in range(32) for x in range(0, 128, 4)]
    assert all(p[3] == 0 or p[:3] == b"\xff\xff\xff" for p in pixels)  # white on transparent
    assert any(p[3] == 0 for p in pixels) and any(p[3] == 255 for p in pixels)


def test_the_schema_catches_a_broken_manifest(bot):
    """The validation above can fail: the same schema rejects a manifest without bots' ids."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = manifest(CLIENT_ID, bot, "https://kommune.no", "https://kommune.no", "https://kommune.no")
    del broken["bots"][0]["botId"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_package_needs_a_client_id_and_https_urls(bot, tmp_path, monkeypatch):
    monkeypatch.delenv("TEAMS_CLIENT_ID", raising=False)
    with pytest.raises(PackageError, match="TEAMS_CLIENT_ID is not set"):
        write_package(tmp_path / "x.zip", bot)
    with pytest.raises(PackageError, match="--website must be an https:// URL"):
        write_package(tmp_path / "x.zip", bot, website="http://kommune.no", client_id=CLIENT_ID)
    with pytest.raises(PackageError, match="TEAMS_CLIENT_ID must be a GUID"):
        write_package(tmp_path / "x.zip", bot, client_id="guidebot")


def test_teams_command_has_help():
    result = subprocess.run([sys.executable, "-m", "bot", "teams", "--help"], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0
    for word in ("TEAMS_CLIENT_ID", "TEAMS_TENANT_ID", "/api/messages", "package", "--port"):
        assert word in result.stdout


def test_cli_writes_the_package(tmp_path):
    env = {**plain_env(), "HOME": str(tmp_path), "TEAMS_CLIENT_ID": CLIENT_ID}
    out = tmp_path / "pkg" / "guidebot-teams.zip"
    result = subprocess.run([sys.executable, "-m", "bot", "teams", "package", "-o", str(out)],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert zipfile.is_zipfile(out) and "Upload new app" in result.stdout
    result = subprocess.run([sys.executable, "-m", "bot", "teams", "package", "-o", str(out)],
                            capture_output=True, text=True, cwd=ROOT, env={**env, "TEAMS_CLIENT_ID": ""}, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "TEAMS_CLIENT_ID" in result.stderr
