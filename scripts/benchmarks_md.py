"""Replaces one `## ` section of BENCHMARKS.md, keeping the other sections (used by the benchmark scripts)."""
import os


def replace_section(path, heading, body):
    """`heading` is the section's `## …` line; `body` the lines after it. The section is appended when missing."""
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    lines = text.rstrip("\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    new = [heading, ""] + body.strip("\n").split("\n")
    if start is None:
        lines += [""] + new
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
        lines = lines[:start] + new + ([""] if end < len(lines) else []) + lines[end:]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
