"""The `guidebot` command line: ask, chat, check, import and eval.

guidebot ask "kan jeg legge ut et bilde av kollegaen min?"
echo "hvor fort må vi svare?" | guidebot ask --json
guidebot chat
guidebot check
guidebot import ikt-reglement.pdf --document ikt-reglement
guidebot import ikt-reglement-2026.pdf --document ikt-reglement --update
guidebot eval
guidebot slack [--http --port 3000]
guidebot teams [--host 127.0.0.1] [--port 3978]
guidebot teams package -o guidebot-teams.zip
guidebot health
guidebot report --since 30d --format html --output rapport.html
guidebot log unanswered --format yaml

Operator errors (a file that cannot be written, Slack unreachable, a bad setting) end in one
line on stderr naming the problem and a non-zero exit code, never a traceback: 2 for a bad
setting or argument, 1 when the work itself failed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot import __version__
from bot.answers import Asker, Guidebot
from bot.knowledge import KnowledgeError, default_folder
from bot.log.store import StoreError
from bot.matching.index import describe_matching
from bot.matching.semantic import EmbeddingError

log = logging.getLogger("guidebot")

ROLES = {"ansatt": "ansatt", "leder": "leder", "politiker": "politiker", "folkevalgt": "politiker"}


def _bot(args: argparse.Namespace) -> Guidebot:
    packaging = args.command == "teams" and args.action == "package"  # answers nothing
    long_running = args.command in ("chat", "slack", "teams") and not packaging
    if long_running:  # say where edits must go
        print(f"guidebot: {_folder_line(args)}", file=sys.stderr, flush=True)
    bot = Guidebot.from_folder(args.knowledge)
    if long_running or (bot.index.mode != "semantic" and not packaging):
        print(f"guidebot: {bot.matching_note}", file=sys.stderr, flush=True)
    return bot


def _asker(bot: Guidebot, args: argparse.Namespace) -> Asker:
    role = ROLES.get(args.role or "", "")
    if args.email:
        return bot.identify(email=args.email, role=role)
    return Asker(role=role or "ukjent")


def _open_store(bot: Guidebot):
    from bot.log.store import Store, default_path, retention_days_from_env
    from bot.service import Service

    return Store(default_path(), Service.masker_for(bot), retention_days_from_env())


def _service(bot: Guidebot, args: argparse.Namespace):
    """With --log, the service that answers and logs (as the terminal); else None."""
    if not getattr(args, "log", False):
        return None
    from bot.service import Service

    return Service(bot, _open_store(bot))


def cmd_ask(args: argparse.Namespace) -> int:
    bot = _bot(args)
    asker = _asker(bot, args)
    service = _service(bot, args)
    if args.question:
        questions = [" ".join(args.question)]
    elif sys.stdin.isatty():
        # Nothing to read but a person at a terminal: say what is expected instead of waiting.
        print('usage: guidebot ask "your question" (or pipe questions in, one per line; '
              "guidebot chat for a conversation)", file=sys.stderr)
        return 2
    else:
        questions = (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        answer = service.ask(question, "cli", "terminal", asker).answer if service else bot.ask(question, asker)
        if args.json:
            data = answer.to_dict()
            if args.explain:
                data["explain"] = _explanation(answer)
            print(json.dumps(data, ensure_ascii=False), flush=True)
        else:
            print(answer.as_text(), end="\n\n" if not args.question else "\n", flush=True)
            if args.explain:
                print("\n".join(_explanation(answer)), end="\n\n" if not args.question else "\n", flush=True)
    return 0


def _explanation(answer) -> list[str]:
    lines = [f"outcome: {answer.outcome}; matching: {answer.matching}", "candidates:"]
    lines += [f"  {score:7.3f}  {entry.id} (punkt {entry.section})" for entry, score in answer.candidates]
    return lines + (answer.reasons or ["  (no decision: nothing to match)"])


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.adapters.terminal import run_chat

    bot = _bot(args)

    def prompt_lines():
        while True:
            try:
                yield input("> " if sys.stdin.isatty() else "")
            except EOFError:
                return

    run_chat(bot, prompt_lines(), sys.stdout, _asker(bot, args), _service(bot, args))
    return 0


def _folder_line(args: argparse.Namespace) -> str:
    from bot.knowledge.loading import folder_origin

    folder = Path(args.knowledge) if args.knowledge else default_folder()
    return f"Kunnskapsmappe: {folder.resolve()} ({folder_origin(args.knowledge)})"


def cmd_check(args: argparse.Namespace) -> int:
    from bot.knowledge.check import examine_folder

    print(_folder_line(args))
    knowledge, found = examine_folder(args.knowledge)
    groups = (
        ("FEIL (guidebot starter ikke før disse er rettet)", found.errors),
        ("VENTER PÅ GJENNOMGANG (vises ikke før du har sett på dem)", found.waiting),
        ("RÅD (gjør svarene bedre)", found.advice),
    )
    for heading, lines in groups:
        if lines:
            print(f"\n{heading}:")
            for line in lines:
                print(f"  {line}")
    if found.counts:
        print("\nDokumenter:")
        for count in found.counts:
            print(
                f"  {count.document}: {count.entries} oppføringer, {count.with_phrasings} med spørsmål "
                f"({count.share} %), {count.waiting} venter på gjennomgang"
            )
    summary = f"{len(found.errors)} feil, {len(found.waiting)} venter på gjennomgang, {len(found.advice)} råd."
    if found.errors:
        print(f"\nIKKE OK: {summary}", file=sys.stderr)
        return 1
    assert knowledge is not None
    print(f"\nOK: {len(knowledge.documents)} dokument(er), {len(knowledge.entries)} oppføringer. {summary}")
    usable, note = describe_matching()
    print(note, file=sys.stdout if usable else sys.stderr)
    return 0 if usable else 1


def cmd_import(args: argparse.Namespace) -> int:
    from bot.knowledge.importing import read_guideline, report
    from bot.knowledge.importing.writing import write_import

    if args.output and args.output != "-":
        check_output(Path(args.output))  # before the guideline is read: one line, nothing else
    guideline = read_guideline(Path(args.file))
    for line in report(guideline):
        print(line, file=sys.stderr)
    return write_import(guideline, args)


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluation import evaluate, load_questions

    bot = _bot(args)
    for name in args.questions:
        report = evaluate(bot.index, load_questions(Path(name), bot.knowledge.entries))
        print(f"# {name}")
        print(report.as_text())
        if args.verbose:
            for failure in report.failures:
                print(f"  {failure}")
        print()
    return 0


def cmd_slack(args: argparse.Namespace) -> int:
    from slack_sdk.errors import SlackApiError

    from bot.adapters.slack.app import build_app, make_client
    from bot.adapters.slack.server import start_purging
    from bot.adapters.slack.settings import SettingsError, SlackSettings
    from bot.env import number_from_env
    from bot.lifecycle import DEFAULT_DRAIN_SECONDS, StopSignal
    from bot.log.store import retention_days_from_env
    from bot.outbox import DEFAULT_WORKERS, LEASE_SECONDS, MIN_LEASE_SECONDS, Outbox
    from bot.service import Service

    try:
        settings = SlackSettings.from_env(http=args.http)
        retention_days_from_env()  # checked here, so a bad value is named before anything starts
        args.workers = int(number_from_env("GUIDEBOT_WORKERS", DEFAULT_WORKERS, 1, whole=True))
        args.drain_seconds = number_from_env("GUIDEBOT_DRAIN_SECONDS", DEFAULT_DRAIN_SECONDS, 0)
        lease_seconds = number_from_env("GUIDEBOT_LEASE_SECONDS", LEASE_SECONDS, MIN_LEASE_SECONDS)
    except (SettingsError, ValueError) as error:
        print(f"guidebot slack: {error}", file=sys.stderr)
        return 2
    stop = StopSignal().install()  # from here on SIGTERM drains instead of killing
    client = make_client(settings)
    try:
        with _quiet("slack_sdk"):  # its own retry log lines would bury our one-line reason
            identity = client.auth_test()
    except (SlackApiError, OSError) as error:
        print(f"guidebot slack: {_slack_failure(error, client.base_url, 'SLACK_BOT_TOKEN')}", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bot = _bot(args)
    _warn_about_defaults(bot)
    store = _open_store(bot)
    log.info("connected to Slack as %s; database %s", identity.get("user"), store.path)
    start_purging(store)
    outbox = Outbox(store, lease_seconds=lease_seconds)
    app = build_app(Service(bot, store), settings, store.retention_days, client=client, outbox=outbox)
    if args.http:
        return _serve_http(args, app, outbox, stop, settings.signing_secret)
    return _serve_socket_mode(args, app, outbox, stop, settings.app_token)


def _warn_about_defaults(bot: Guidebot) -> None:
    """Start-up warnings for `guidebot slack` and `guidebot teams`: example contacts, blank settings."""
    from bot.env import set_but_blank

    if bot.contacts.example:
        log.warning(
            "the EXAMPLE contacts are in use (%s/contacts.yaml says `example: true`): referrals name "
            "invented people. Fill in your own contacts and delete that line.", bot.knowledge.folder,
        )
    for name in ("GUIDEBOT_DB", "GUIDEBOT_KNOWLEDGE"):
        if set_but_blank(name):  # e.g. `NAME=` in a --env-file: the default applies, say which
            log.warning("%s is set but empty, so the default is used", name)


def _serve_http(args: argparse.Namespace, app, outbox, stop, signing_secret: str) -> int:
    from bot.adapters.slack.server import HttpServer, serve_http_until_stopped
    from bot.lifecycle import Heartbeat, heartbeat_path
    from bot.outbox import OutboxWorkers

    try:
        server = HttpServer(app, args.host, args.port, signing_secret, threads=args.threads)
    except OSError as error:
        print(f"guidebot slack: cannot listen on {args.host}:{args.port} ({error.strerror or error})", file=sys.stderr)
        return 1
    workers = OutboxWorkers(outbox, args.workers).start()
    local = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    heartbeat = Heartbeat(heartbeat_path(), "http", f"http://{local}:{server.port}/healthz")
    print(f"guidebot: serving Slack on http://{args.host}:{server.port}/slack/events", flush=True)
    left = serve_http_until_stopped(server, workers, heartbeat, stop, args.drain_seconds)
    print(f"guidebot: stopped ({left} question(s) left for the next start)", flush=True)
    return 0


def _serve_socket_mode(args: argparse.Namespace, app, outbox, stop, app_token: str) -> int:
    from slack_sdk.errors import SlackApiError

    from bot.adapters.slack.server import serve_socket_mode_until_stopped, socket_mode_handler
    from bot.lifecycle import Heartbeat, heartbeat_path
    from bot.outbox import OutboxWorkers

    print("guidebot: connecting to Slack in Socket Mode", flush=True)
    handler = socket_mode_handler(app, app_token)
    try:
        with _quiet("slack_sdk"):
            handler.connect()
    except (SlackApiError, OSError) as error:
        failure = _slack_failure(error, "wss (Socket Mode)", "SLACK_APP_TOKEN")
        print(f"guidebot slack: {failure}; the app-level token needs the scope connections:write", file=sys.stderr)
        return 1
    workers = OutboxWorkers(outbox, args.workers).start()
    heartbeat = Heartbeat(heartbeat_path(), "socket")
    left = serve_socket_mode_until_stopped(handler, workers, heartbeat, stop, args.drain_seconds)
    print(f"guidebot: stopped ({left} question(s) left for the next start)", flush=True)
    return 0


def _slack_failure(error: Exception, where: str, token: str) -> str:
    """One line for a Slack call that failed: the token refused, or Slack not reached."""
    response = getattr(error, "response", None)
    if response is not None and hasattr(response, "get"):  # SlackApiError: Slack answered "no"
        return f"Slack refused {token} ({response.get('error')})"
    return f"cannot reach Slack at {where} ({getattr(error, 'reason', None) or error})"


def cmd_health(args: argparse.Namespace) -> int:
    from bot.lifecycle import check_health, heartbeat_path

    healthy, why = check_health(heartbeat_path())
    print(f"guidebot health: {why}", file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


def check_output(path: Path) -> None:
    """Fail early, in one line, for an output file that cannot be written where it is meant to go."""
    if path.is_dir():
        example = path / "rapport.html"
        raise CommandError(f"cannot write {path}: it is a folder; give a file name, e.g. {example}")
    if not path.parent.is_dir():
        raise CommandError(f"cannot write {path}: the folder {path.parent} does not exist")


def write_output(path: Path, text: str) -> None:
    """Write a command's output file; OSError becomes one line naming the file."""
    try:
        path.write_text(text, encoding="utf-8")
    except IsADirectoryError:
        example = path / "rapport.html"
        raise CommandError(f"cannot write {path}: it is a folder; give a file name, e.g. {example}") from None
    except FileNotFoundError:
        raise CommandError(f"cannot write {path}: the folder {path.parent} does not exist") from None
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from None


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence a library's logger for a moment (we report the failure ourselves, in one line)."""
    logger = logging.getLogger(logger_name)
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


class CommandError(Exception):
    """A command could not do its work; the message is one line naming the problem (exit 1)."""


def cmd_teams(args: argparse.Namespace) -> int:
    import logging

    from bot.adapters.teams.settings import SettingsError, TeamsSettings

    if args.action == "package":
        return _teams_package(args)
    try:
        settings = TeamsSettings.from_env()
        from bot.log.store import retention_days_from_env

        retention_days_from_env()  # checked here, so a bad value is named before anything starts
    except (SettingsError, ValueError) as error:
        print(f"guidebot teams: {error}", file=sys.stderr)
        return 2
    from bot.adapters.teams.server import TeamsServer, build_asgi, serve_until_stopped
    from bot.env import number_from_env
    from bot.lifecycle import DEFAULT_DRAIN_SECONDS, Heartbeat, StopSignal, heartbeat_path
    from bot.service import Service

    try:
        drain_seconds = number_from_env("GUIDEBOT_DRAIN_SECONDS", DEFAULT_DRAIN_SECONDS, 0)
    except ValueError as error:
        print(f"guidebot teams: {error}", file=sys.stderr)
        return 2
    stop = StopSignal().install()  # takes the SIGTERM uvicorn raises again once it has drained
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings.share_ca_bundle()
    bot = _bot(args)
    _warn_about_defaults(bot)
    store = _open_store(bot)
    asgi, _teams = build_asgi(Service(bot, store), settings, store.retention_days)
    server = TeamsServer(asgi, args.host, args.port, drain_seconds=drain_seconds)
    print(f"guidebot: serving Teams on http://{args.host}:{args.port}/api/messages", flush=True)
    serve_until_stopped(server, Heartbeat(heartbeat_path(), "teams"), stop, args.host)
    print("guidebot: stopped", flush=True)
    return 0


def _teams_package(args: argparse.Namespace) -> int:
    from bot.adapters.teams.package import PackageError, write_package

    try:
        path = write_package(
            Path(args.output),
            _bot(args),
            website=args.website,
            privacy_url=args.privacy_url,
            terms_url=args.terms_url,
            domain=args.domain,
        )
    except PackageError as error:
        print(f"guidebot teams package: {error}", file=sys.stderr)
        return 2
    print(f"guidebot: wrote {path} (upload it in Teams admin center > Teams apps > Manage apps > Upload new app)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from bot.log.formats import render
    from bot.log.reports import build_report
    from bot.log.store import since_to_date

    bot = _bot(args)
    store = _open_store(bot)
    report = build_report(store, bot.knowledge, since_to_date(args.since), terms=bot.index.question_terms)
    if args.post_to:
        return _post_digest(bot, report, args.post_to)
    output = render(report, args.format)
    if args.output:
        write_output(Path(args.output), output)
        print(f"guidebot report: wrote {args.output} ({report.total} questions since {report.since})", file=sys.stderr)
    else:
        sys.stdout.write(output)
    return 0


def _post_digest(bot: Guidebot, report, channel: str) -> int:
    from slack_sdk.errors import SlackApiError

    from bot.adapters.slack.app import make_client
    from bot.adapters.slack.blocks import report_summary
    from bot.adapters.slack.settings import SettingsError, SlackSettings

    try:
        settings = SlackSettings.from_env(http=True, need_secret=False)
    except SettingsError as error:
        print(f"guidebot report: {error}", file=sys.stderr)
        return 2
    client = make_client(settings)
    try:
        with _quiet("slack_sdk"):
            client.chat_postMessage(channel=channel, **report_summary(report))
    except SlackApiError as error:
        print(f"guidebot report: Slack refused the post: {error.response.get('error')}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"guidebot report: {_slack_failure(error, client.base_url, 'SLACK_BOT_TOKEN')}", file=sys.stderr)
        return 1
    print(f"guidebot report: posted the digest to {channel}", file=sys.stderr)
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    # Purging matches nothing: words alone mask names, and the model is not loaded (a cron job
    # on a fresh machine would otherwise embed the whole knowledge first).
    bot = Guidebot.from_folder(args.knowledge, embedder=None) if args.action == "purge" else _bot(args)
    store = _open_store(bot)
    if args.action == "purge":
        removed = store.purge()
        print(
            f"Purged: {removed['texts_deleted']} question text(s) older than {store.retention_days} days, "
            f"{removed['asker_weeks_deleted']} asker week(s), {removed['event_ids_deleted']} event claim(s), "
            f"{removed['answer_handles_deleted']} Teams answer handle(s)."
        )
        return 0
    from bot.log.formats import unanswered_yaml
    from bot.log.reports import build_report
    from bot.log.store import since_to_date

    report = build_report(
        store, bot.knowledge, since_to_date(args.since), top=10_000, terms=bot.index.question_terms,
        include_current_week=True,
    )
    if args.format == "yaml":
        sys.stdout.write(unanswered_yaml(report, bot.knowledge))
    else:
        for group in report.unanswered:
            print(f"{group.count:5}  {group.text}  (nærmest: {group.entry or '–'})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guidebot",
        description="Answers questions about an organisation's guidelines with a verbatim quote "
        "and the section number, or refers to the nearest leader or IT.",
    )
    parser.add_argument("--version", action="version", version=f"guidebot {__version__}")
    knowledge_help = (
        "knowledge folder (default: $GUIDEBOT_KNOWLEDGE, else ./knowledge if it has documents/, "
        "else the packaged copy)"
    )
    parser.add_argument("--knowledge", metavar="DIR", help=knowledge_help)
    # --knowledge also works after the command (guidebot check --knowledge DIR).
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--knowledge", metavar="DIR", default=argparse.SUPPRESS, help=knowledge_help)
    commands = _Commands(parser.add_subparsers(dest="command", metavar="COMMAND"), shared)

    ask = commands.add_parser("ask", help="answer a question (or one per line from stdin)")
    ask.add_argument("question", nargs="*", help="the question; omit to read stdin, one per line")
    ask.add_argument("--role", choices=sorted(ROLES), help="answer as for this role")
    ask.add_argument("--email", help="the asker's e-mail, to find role and leader in contacts")
    ask.add_argument("--json", action="store_true", help="JSON (one object per line with stdin)")
    ask.add_argument("--log", action="store_true", help="write the questions to the question log (off by default)")
    ask.add_argument("--explain", action="store_true", help="show the candidates, the decision's features and why")
    ask.set_defaults(run=cmd_ask)

    chat = commands.add_parser("chat", help="talk to guidebot in the terminal")
    chat.add_argument("--role", choices=sorted(ROLES), help="chat as this role")
    chat.add_argument("--email", help="the asker's e-mail, to find role and leader in contacts")
    chat.add_argument("--log", action="store_true", help="write the questions to the question log (off by default)")
    chat.set_defaults(run=cmd_chat)

    check = commands.add_parser("check", help="validate the knowledge files")
    check.set_defaults(run=cmd_check)

    imp = commands.add_parser(
        "import",
        help="import a guideline (.pdf, .docx, .txt) into the knowledge folder",
        description="Reads the guideline, writes its text to sources/ID.txt and the knowledge file to "
        "documents/ID.yaml of the knowledge folder in use (or the YAML to -o). Every entry answers with "
        "its quote until an editor writes an answer. With --update, a revised guideline is compared "
        "with the old text: unchanged entries are kept, changed and removed ones wait for review.",
    )
    imp.add_argument("file", help="the guideline: .pdf, .docx (Word) or .txt (UTF-8)")
    imp.add_argument("--document", required=True, help="the document's id, e.g. ikt-reglement")
    imp.add_argument("--title", help="the document's title (default: from the file)")
    imp.add_argument("--update", action="store_true", help="the guideline was revised: update document ID")
    imp.add_argument("--revised", help="with --update: the revision date, e.g. 2026-03-01 (default: today)")
    imp.add_argument("--source", help="with -o: the text's path under the knowledge folder (default: sources/FILE)")
    imp.add_argument("--output", "-o", help="write the YAML here ('-' for stdout) instead of into the knowledge folder")
    imp.set_defaults(run=cmd_import)

    ev = commands.add_parser("eval", help="score the matcher on labelled questions")
    ev.add_argument(
        "questions",
        nargs="*",
        default=["tests/eval/questions.yaml"],
        help="labelled question files (default: tests/eval/questions.yaml)",
    )
    ev.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    ev.set_defaults(run=cmd_eval)

    slack = commands.add_parser(
        "slack",
        help="run the Slack app (Socket Mode; --http for the Events API)",
        description="Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN. --http serves "
        "/slack/events and needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET. GUIDEBOT_DB is the "
        "database (question log, event ids); see .env.example.",
    )
    slack.add_argument("--http", action="store_true", help="serve the Events API over HTTP instead of Socket Mode")
    slack.add_argument(
        "--host",
        default="127.0.0.1",
        help="HTTP mode: address to listen on (default 127.0.0.1: put a reverse proxy in front; "
        "0.0.0.0 in a container)",
    )
    slack.add_argument("--port", type=int, default=3000, help="HTTP mode: port (default 3000)")
    slack.add_argument("--threads", type=int, default=8, help="HTTP mode: worker threads (default 8)")
    slack.set_defaults(run=cmd_slack)

    health = commands.add_parser(
        "health",
        help="exit 0 if a running `guidebot slack` or `guidebot teams` is healthy (for HEALTHCHECK), "
        "else 1 with the reason",
        description="Reads the heartbeat file the running bot rewrites every 10 s while it is connected "
        "and its workers are alive (GUIDEBOT_HEARTBEAT, default in the temporary folder); in HTTP mode "
        "and for Teams also asks its /healthz. Creates no files.",
    )
    health.set_defaults(run=cmd_health)

    teams = commands.add_parser(
        "teams",
        help="run the Microsoft Teams app (POST /api/messages), or build its app package",
        description="Serves POST /api/messages (the Bot Connector) and GET /healthz behind the "
        "municipality's TLS reverse proxy. Needs TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and "
        "TEAMS_TENANT_ID; GUIDEBOT_DB is the database (may be shared with Slack); see .env.example. "
        "`guidebot teams package` writes the zip (manifest and icons) to upload to the org's app catalog; "
        "it needs TEAMS_CLIENT_ID only.",
    )
    teams.add_argument("action", nargs="?", choices=["serve", "package"], default="serve",
                       help="serve (default) or package")
    teams.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    teams.add_argument("--port", type=int, default=3978, help="port (default 3978)")
    teams.add_argument("--output", "-o", default="guidebot-teams.zip",
                       help="package: the zip to write (default guidebot-teams.zip)")
    teams.add_argument(
        "--website", help="package: the organisation's https web site (default: from IT's e-mail domain)"
    )
    teams.add_argument("--privacy-url", help="package: https page about privacy (default: the web site)")
    teams.add_argument("--terms-url", help="package: https page with terms of use (default: the web site)")
    teams.add_argument("--domain", help="package: the bot's public host name, listed in validDomains")
    teams.set_defaults(run=cmd_teams)

    report = commands.add_parser(
        "report",
        help="leaders' report of frequent questions from the log",
        description="Aggregates only: totals, weekly trend, top sections, frequent and unanswered "
        "questions (grouped), feedback, sections nobody asked about. Reads GUIDEBOT_DB.",
    )
    report.add_argument("--since", default="30d", help="period: 30d, 12w or a date like 2026-01-31 (default 30d)")
    report.add_argument("--format", choices=["text", "markdown", "csv", "json", "html"], default="text")
    report.add_argument("--output", "-o", help="write to this file instead of stdout")
    report.add_argument(
        "--post-to", metavar="CHANNEL", help="post a digest to this Slack channel (needs SLACK_BOT_TOKEN)"
    )
    report.set_defaults(run=cmd_report)

    log = commands.add_parser("log", help="the question log: purge old text, list unanswered questions")
    log.add_argument(
        "action",
        choices=["purge", "unanswered"],
        help="purge: delete text past retention; unanswered: grouped questions the bot could not answer",
    )
    log.add_argument("--since", default="30d", help="unanswered: period (default 30d)")
    log.add_argument(
        "--format",
        choices=["text", "yaml"],
        default="text",
        help="unanswered: yaml gives phrasing snippets under their closest entry, to paste into the knowledge files",
    )
    log.set_defaults(run=cmd_log)
    return parser


class _Commands:
    """The sub-command parsers, each also taking --knowledge."""

    def __init__(self, subparsers, shared: argparse.ArgumentParser):
        self._subparsers, self._shared = subparsers, shared
        self.choices = subparsers.choices

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        return self._subparsers.add_parser(name, parents=[self._shared], **kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except KnowledgeError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 2
    except ValueError as error:  # settings such as --since or GUIDEBOT_RETENTION_DAYS
        print(f"guidebot: {error}", file=sys.stderr)
        return 2
    except StoreError as error:
        print(f"guidebot: {error}", file=sys.stderr)
        return 2
    except EmbeddingError as error:
        print(f"guidebot: embedding model: {error}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"guidebot {args.command}: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `guidebot report | head`
        return 0
    except OSError as error:  # a file or the network, where no command gave a closer message
        print(f"guidebot {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
