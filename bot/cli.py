"""The `guidebot` command line: ask, chat, check, import and eval.

guidebot ask "kan jeg legge ut et bilde av kollegaen min?"
echo "hvor fort må vi svare?" | guidebot ask --json
guidebot chat
guidebot check
guidebot import ikt-reglement.pdf --document ikt-reglement
guidebot import ikt-reglement-2026.pdf --document ikt-reglement --update
guidebot eval
guidebot slack [--http --port 3000]
guidebot report --since 30d --format html --output rapport.html
guidebot log unanswered --format yaml
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot import __version__
from bot.answers import Asker, Guidebot
from bot.knowledge import KnowledgeError, default_folder
from bot.log.store import StoreError
from bot.matching.index import describe_matching
from bot.matching.semantic import EmbeddingError

ROLES = {"ansatt": "ansatt", "leder": "leder", "politiker": "politiker", "folkevalgt": "politiker"}


def _bot(args: argparse.Namespace) -> Guidebot:
    if args.command in ("chat", "slack", "teams"):  # long-running: say where edits must go
        print(f"guidebot: {_folder_line(args)}", file=sys.stderr, flush=True)
    bot = Guidebot.from_folder(args.knowledge)
    if bot.index.mode != "semantic" or args.command in ("chat", "slack", "teams"):
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
    import logging

    from bot.adapters.slack.app import build_app
    from bot.adapters.slack.server import HttpServer, socket_mode_handler, start_purging
    from bot.adapters.slack.settings import SettingsError, SlackSettings
    from bot.log.store import retention_days_from_env
    from bot.service import Service

    try:
        settings = SlackSettings.from_env(http=args.http)
        retention_days_from_env()  # checked here, so a bad value is named before anything starts
    except (SettingsError, ValueError) as error:
        print(f"guidebot slack: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bot = _bot(args)
    store = _open_store(bot)
    start_purging(store)
    app = build_app(Service(bot, store), settings, store.retention_days)
    if args.http:
        server = HttpServer(app, args.host, args.port, settings.signing_secret, threads=args.threads)
        print(f"guidebot: serving Slack on http://{args.host}:{server.port}/slack/events", flush=True)
        server.serve_forever()
    else:
        print("guidebot: connecting to Slack in Socket Mode", flush=True)
        socket_mode_handler(app, settings.app_token).start()
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
        Path(args.output).write_text(output, encoding="utf-8")
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
    try:
        make_client(settings).chat_postMessage(channel=channel, **report_summary(report))
    except SlackApiError as error:
        print(f"guidebot report: Slack refused the post: {error.response.get('error')}", file=sys.stderr)
        return 1
    print(f"guidebot report: posted the digest to {channel}", file=sys.stderr)
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    bot = _bot(args)
    store = _open_store(bot)
    if args.action == "purge":
        removed = store.purge()
        print(
            f"Purged: {removed['texts_deleted']} question text(s) older than {store.retention_days} days, "
            f"{removed['asker_weeks_deleted']} asker week(s), {removed['event_ids_deleted']} Slack event id(s)."
        )
        return 0
    from bot.log.formats import unanswered_yaml
    from bot.log.reports import build_report
    from bot.log.store import since_to_date

    report = build_report(store, bot.knowledge, since_to_date(args.since), top=10_000, terms=bot.index.question_terms)
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
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
