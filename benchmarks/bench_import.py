"""How long `guidebot import` takes on the seed guideline as text, PDF and Word, against the
bare library reads in the same run (pypdf's `extract_text`, python-docx's `Document`), and how
long `guidebot check` takes on the result; then the same for the seed repeated 20 times (a
guideline of about 60 pages).

    pip install ".[test]" && python benchmarks/bench_import.py
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from argparse import Namespace
from contextlib import redirect_stderr
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.check import examine_folder  # noqa: E402
from bot.knowledge.importing import read_guideline  # noqa: E402
from bot.knowledge.importing.writing import write_import  # noqa: E402
from tests.guideline_files import SEED, seed_docx, seed_pdf  # noqa: E402


def best_of(function, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def main() -> None:
    work = Path(tempfile.mkdtemp())
    try:
        files = {"txt": SEED, "pdf": seed_pdf(work / "seed.pdf"), "docx": seed_docx(work / "seed.docx")}
        long_text = work / "long.txt"
        text = SEED.read_text(encoding="utf-8")
        copies = [
            re.sub(r"(?m)^(\s*)(\d+)(?=(?:\.\d+)*\.?\s+[A-ZÆØÅ])", lambda m, k=k: f"{m.group(1)}{int(m.group(2)) + 5 * k}", text)
            for k in range(20)
        ]  # sections 1-5, then 6-10, ...: one long numbered guideline
        long_text.write_text("\n".join(copies), encoding="utf-8")
        files["txt x20"] = long_text

        def bare(kind: str, path: Path):
            if kind == "pdf":
                from pypdf import PdfReader

                return lambda: [p.extract_text() for p in PdfReader(path).pages]
            if kind == "docx":
                import docx

                return lambda: docx.Document(str(path))
            return lambda: path.read_text(encoding="utf-8")

        print("| file | bare read ms | import ms | entries | check ms |")
        print("|------|--------------|-----------|---------|----------|")
        for kind, path in files.items():
            folder = work / f"k-{kind.replace(' ', '')}"
            (folder / "documents").mkdir(parents=True)
            (folder / "sources").mkdir()
            shutil.copy(ROOT / "knowledge" / "synonyms.yaml", folder)
            guideline = read_guideline(path)
            args = Namespace(file=str(path), document="seed", knowledge=str(folder), output=None, source=None,
                             title=None, update=False, revised=None)
            with redirect_stderr(StringIO()):
                write_import(guideline, args)
            bare_ms = best_of(bare(kind.split()[0], path))
            import_ms = best_of(lambda path=path: read_guideline(path))
            check_ms = best_of(lambda folder=folder: examine_folder(folder), repeat=3)
            print(f"| {kind:<7} | {bare_ms:12.1f} | {import_ms:9.1f} | {len(guideline.outline.drafts):7} | {check_ms:8.1f} |")
        print("\nBest of 5 (check: of 3) on this machine, in one run.")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
