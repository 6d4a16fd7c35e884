#!/usr/bin/env python3
"""Checks the sublime-syntax through bat (syntect) against the pinned scopes of the TextMate
tests (editors/textmate/tests/*.stress, vscode-tmgrammar-test's format): a generated theme
gives every asserted scope its own colour, bat highlights the test file in 24-bit colour, and
each asserted character must come out in its scope's colour.

Usage: check_bat.py BAT SYNTAX TEST.stress...   (exit 1 on a mismatch)
"""
import os
import re
import subprocess
import sys
import tempfile

ASSERTION = re.compile(r"^#\s*(\^+|<-+)\s+(.*)$")


def assertions(lines):
    """(row, column, scope) for each asserted character; the last scope of a list."""
    target = None
    for row, line in enumerate(lines):
        m = ASSERTION.match(line)
        if not m or target is None or "SYNTAX TEST" in line:
            if not m:
                target = row
            continue
        # `scope1 scope2 - unwanted`: the scopes before a lone `-`.
        marks, text = m.group(1), m.group(2)
        scopes = [] if text.startswith("-") else text.split(" - ")[0].split()
        if not scopes:
            continue
        if marks.startswith("<"):
            columns = range(0, len(marks) - 1)
        else:
            start = line.index("^")
            columns = range(start, start + len(marks))
        for col in columns:
            yield target, col, scopes[-1]


def theme(colors):
    entries = "".join(
        f"<dict><key>scope</key><string>{scope}</string><key>settings</key><dict>"
        f"<key>foreground</key><string>#{color:06x}</string></dict></dict>"
        for scope, color in colors.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict>'
        "<key>name</key><string>scopes</string><key>settings</key><array>"
        "<dict><key>settings</key><dict><key>foreground</key><string>#000000</string>"
        "<key>background</key><string>#ffffff</string></dict></dict>"
        f"{entries}</array></dict></plist>"
    )


def colored_chars(line):
    """The foreground colour of each character of one line of bat's output."""
    out, color, i = [], 0, 0
    for m in re.finditer(r"\x1b\[([0-9;]*)m|([^\x1b])", line):
        if m.group(2) is not None:
            out.append(color)
            continue
        codes = m.group(1).split(";")
        if codes[:2] == ["38", "2"]:
            r, g, b = map(int, codes[2:5])
            color = (r << 16) | (g << 8) | b
        elif codes == ["0"] or codes == [""]:
            color = 0
    return out


def main():
    bat, syntax, tests = sys.argv[1], sys.argv[2], sys.argv[3:]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for test in tests:
            lines = open(test, encoding="utf-8").read().split("\n")
            wanted = list(assertions(lines))
            scopes = sorted({s for _, _, s in wanted})
            colors = {s: i + 1 for i, s in enumerate(scopes)}
            config = os.path.join(tmp, "config")
            os.makedirs(os.path.join(config, "syntaxes"), exist_ok=True)
            os.makedirs(os.path.join(config, "themes"), exist_ok=True)
            with open(os.path.join(config, "syntaxes", "stress.sublime-syntax"), "w") as f:
                f.write(open(syntax, encoding="utf-8").read())
            with open(os.path.join(config, "themes", "scopes.tmTheme"), "w") as f:
                f.write(theme(colors))
            env = dict(os.environ, BAT_CONFIG_PATH="/dev/null", BAT_CONFIG_DIR=config,
                       BAT_CACHE_PATH=os.path.join(tmp, "cache"), COLORTERM="truecolor")
            subprocess.run([bat, "cache", "--build", "--source", config, "--target", env["BAT_CACHE_PATH"]],
                           env=env, check=True, capture_output=True)
            out = subprocess.run([bat, "--theme", "scopes", "--color=always", "--style=plain",
                                  "--paging=never", "--tabs=0", "-l", "stress", test],
                                 env=env, check=True, capture_output=True, text=True).stdout.split("\n")
            names = {c: s for s, c in colors.items()}
            for row, col, scope in wanted:
                chars = colored_chars(out[row]) if row < len(out) else []
                got = chars[col] if col < len(chars) else None
                if got != colors[scope]:
                    failures += 1
                    print(f"{test}:{row + 1}:{col + 1}: expected {scope}, bat coloured it as "
                          f"{names.get(got, 'something else')}", file=sys.stderr)
            print(f"{test}: {len(wanted)} assertions")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
