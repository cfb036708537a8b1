"""Printing a benchmark's results as the two-column Markdown table the README quotes."""


def print_measures(rows: list[tuple[str, str]]) -> None:
    print("| measure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
