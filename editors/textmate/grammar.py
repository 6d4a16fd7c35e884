#!/usr/bin/env python3
"""The TextMate grammar for `.stress` files, written once here and emitted as

- editors/textmate/stress.tmLanguage.json   (VS Code, and any TextMate-grammar host)
- editors/vscode/syntaxes/stress.tmLanguage.json   (the same file, inside the extension)
- editors/sublime/stress.sublime-syntax   (Sublime Text and bat/syntect, which read
  sublime-syntax: the same rules, begin/end regions turned into pushed contexts)

Run `python3 editors/textmate/grammar.py` after editing; `--check` (editors/test.sh) fails
when a committed file differs from what this script writes.
"""
import json
import os
import sys

ID = r"[A-Za-z_][A-Za-z0-9_]*"
# Percentiles: `p95`, `p99.9`, `p9999`, and `p` of `p(99.9, latency)`.
PERCENTILE = r"p[0-9]+\.[0-9]+|p[0-9]*"
BUILTIN_FUNCS = "max|min|mean|count|outcome|rate|retries_by|memory_growth|max_rss|cpu|env|pick|next|uniform|words|uuid|len|contains|starts_with|ends_with|number|lines|csv|jsonl|yaml|header|constant|linear|exponential|bandwidth|error_rate|latency|burst|nth_call|latency_error"
VARS = "user|iteration|status|latency|duration|retries|attempt|injected|fault|call|error_rate|success_rate|throughput|dropped|budget_exceeded_during_retry|budget_exceeded|json|body|scenario|test|stage|step|cost|time"
CONSTS = "timeout|connection_error|reset|hang|truncate|none|success|failed|openai|anthropic|full|equal|continue"
KEYWORDS = ("mock|exec|ready|within|every|think|as|check|on|failure|retry_after|retry|attempts|backoff|jitter|respect|"
            "ignore|budget|users|iterations|hold|for|ramp|to|over|pause|limit|inject|at|client|seed|services|scenarios|"
            "chaos|from|faults|start|stop|http|tcp|slo|in|form|cwd|signal|grace|sample|scrape|resume|restart")
g = {
  "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
  "name": "stress",
  "scopeName": "source.stress",
  "fileTypes": ["stress"],
  "patterns": [{"include": "#items"}],
  "repository": {
    "items": {"patterns": [
      {"include": "#comment"},
      {"include": "#strings"},
      {"include": "#settings-block"},
      {"include": "#name-lists"},
      {"include": "#declarations"},
      {"include": "#key"},
      {"include": "#keywords"},
      {"include": "#numbers"},
      {"include": "#calls"},
      {"include": "#builtins"},
      {"include": "#field"},
      {"include": "#operators"},
      {"include": "#punctuation"},
      {"include": "#braces"},
      {"include": "#parens"},
      {"include": "#brackets"},
      {"include": "#identifier"},
    ]},
    "comment": {"match": r"(#).*$", "name": "comment.line.number-sign.stress",
                "captures": {"1": {"name": "punctuation.definition.comment.stress"}}},
    "strings": {"patterns": [
      {"begin": '"""', "end": '"""', "name": "string.quoted.triple.stress",
       "beginCaptures": {"0": {"name": "punctuation.definition.string.begin.stress"}},
       "endCaptures": {"0": {"name": "punctuation.definition.string.end.stress"}},
       "patterns": [{"include": "#escape"}, {"include": "#interpolation"}]},
      {"begin": '"', "end": '(")|$', "name": "string.quoted.double.stress",
       "beginCaptures": {"0": {"name": "punctuation.definition.string.begin.stress"}},
       "endCaptures": {"1": {"name": "punctuation.definition.string.end.stress"}},
       "patterns": [{"include": "#escape"}, {"include": "#interpolation"}]},
      {"begin": "'", "end": "(')|$", "name": "string.quoted.single.raw.stress",
       "beginCaptures": {"0": {"name": "punctuation.definition.string.begin.stress"}},
       "endCaptures": {"1": {"name": "punctuation.definition.string.end.stress"}}},
    ]},
    "escape": {"patterns": [
      {"match": r'\\(?:u\{[0-9A-Fa-f]{1,6}\}|["\\/bfnrt$])', "name": "constant.character.escape.stress"},
      {"match": r"\\.?", "name": "invalid.illegal.unrecognized-escape.stress"},
    ]},
    "interpolation": {"begin": r"\$\{", "end": r"\}", "name": "meta.interpolation.stress",
      "beginCaptures": {"0": {"name": "punctuation.section.interpolation.begin.stress"}},
      "endCaptures": {"0": {"name": "punctuation.section.interpolation.end.stress"}},
      "contentName": "source.stress.embedded",
      "patterns": [{"include": "#items"}]},
    "settings-block": {"patterns": [
      {"begin": r"\b(target)\s+(" + ID + r")\s+(mock)\s*(\{)",
       "beginCaptures": {"1": {"name": "keyword.declaration.stress"}, "2": {"name": "entity.name.type.stress"},
                         "3": {"name": "keyword.other.stress"}, "4": {"name": "punctuation.section.block.begin.stress"}},
       "end": r"\}", "endCaptures": {"0": {"name": "punctuation.section.block.end.stress"}},
       "name": "meta.settings.stress", "patterns": [{"include": "#settings-items"}]},
      {"begin": r"\b(proxy)\s+(" + ID + r")(?:\s+(tcp))?\s*(\{)",
       "beginCaptures": {"1": {"name": "keyword.declaration.stress"}, "2": {"name": "entity.name.type.stress"},
                         "3": {"name": "keyword.other.stress"}, "4": {"name": "punctuation.section.block.begin.stress"}},
       "end": r"\}", "endCaptures": {"0": {"name": "punctuation.section.block.end.stress"}},
       "name": "meta.settings.stress", "patterns": [{"include": "#settings-items"}]},
    ]},
    "settings-items": {"patterns": [
      {"include": "#comment"},
      {"match": r"(?:^|(?<=[{,]))\s*(" + ID + r")", "captures": {"1": {"name": "variable.other.property.stress"}}},
      {"match": r"\b(on|off)\b", "name": "constant.language.stress"},
      {"include": "#items"},
    ]},
    # Where only declared names fit: `scenarios a, b + c`, `faults x`, `services app`,
    # `scenario mixed = a + b`.
    "name-lists": {"patterns": [
      {"begin": r"\b(scenarios|faults|services)\b",
       "beginCaptures": {"1": {"name": "keyword.other.stress"}},
       "end": r"(?=$|[}#]|\b(?:workload|profile|scenarios|inject|seed|services|chaos|slo|faults|start|stop|at)\b)",
       "patterns": [{"include": "#name-list-items"}]},
      # `inject at proxy a, b`
      {"begin": r"\b(inject)\s+(at)\s+(proxy)\b",
       "beginCaptures": {"1": {"name": "keyword.other.stress"}, "2": {"name": "keyword.other.stress"},
                         "3": {"name": "keyword.other.stress"}},
       "end": r"(?=$|[}#]|\b(?:workload|profile|scenarios|inject|seed|services|chaos|slo)\b)",
       "patterns": [{"include": "#name-list-items"}]},
      {"begin": r"\b(scenario)\s+(" + ID + r")\s*(=)",
       "beginCaptures": {"1": {"name": "keyword.declaration.stress"}, "2": {"name": "entity.name.type.stress"},
                         "3": {"name": "keyword.operator.assignment.stress"}},
       "end": r"(?=$|[}#])",
       "patterns": [{"include": "#name-list-items"}]},
    ]},
    "name-list-items": {"patterns": [
      {"include": "#comment"},
      {"match": r"\b" + ID + r"\b", "name": "entity.name.type.stress"},
      {"match": r"\+", "name": "keyword.operator.arithmetic.stress"},
      {"match": r",", "name": "punctuation.separator.comma.stress"},
    ]},
    "declarations": {"patterns": [
      {"match": r"\b(let|data)\s+(" + ID + r")",
       "captures": {"1": {"name": "keyword.declaration.stress"}, "2": {"name": "variable.other.constant.stress"}}},
      {"match": r"\b(scenario|step|proxy)\s+(" + ID + r")\s*(:)",
       "captures": {"1": {"name": "keyword.other.stress"}, "2": {"name": "entity.name.label.stress"},
                    "3": {"name": "punctuation.separator.colon.stress"}}},
      # `inject at proxy a`, `faults outage at proxy a`
      {"match": r"\b(at)\s+(proxy)\s+(" + ID + r")",
       "captures": {"1": {"name": "keyword.other.stress"}, "2": {"name": "keyword.other.stress"},
                    "3": {"name": "entity.name.type.stress"}}},
      {"match": r"\b(target|service|proxy|workload|scenario|profile)\s+(" + ID + r")",
       "captures": {"1": {"name": "keyword.declaration.stress"}, "2": {"name": "entity.name.type.stress"}}},
      {"match": r"\b(target|service|proxy|workload|scenario|profile|test)\b(?=\s*[\"'{=])",
       "captures": {"1": {"name": "keyword.declaration.stress"}}},
      {"match": r"\b(request|poll)\s+(" + ID + r")\s*(:)\s*(" + ID + r")\s+(" + ID + r")",
       "captures": {"1": {"name": "keyword.other.stress"}, "2": {"name": "entity.name.label.stress"},
                    "3": {"name": "punctuation.separator.colon.stress"}, "4": {"name": "support.function.http-method.stress"},
                    "5": {"name": "entity.name.type.stress"}}},
      {"match": r"\b(http)\s+(get|post|put|delete|patch|head|options|GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)\b",
       "captures": {"1": {"name": "keyword.other.stress"}, "2": {"name": "support.function.http-method.stress"}}},
      {"match": r"\b(capture|set)\s+(" + ID + r")",
       "captures": {"1": {"name": "keyword.other.stress"}, "2": {"name": "variable.other.readwrite.stress"}}},
      {"match": r"\b(as)\s+(" + ID + r")(?=\s*\{)",
       "captures": {"1": {"name": "keyword.other.stress"}, "2": {"name": "variable.other.readwrite.stress"}}},
      {"match": r"\b(as|before|during|after)\s+(" + ID + r")",
       "captures": {"1": {"name": "keyword.other.stress"}, "2": {"name": "entity.name.label.stress"}}},
    ]},
    "keywords": {"patterns": [
      {"match": r"\brepeat\b", "name": "keyword.control.loop.stress"},
      {"match": r"\b(when|if|with|probability|choose|until|abort)\b", "name": "keyword.control.conditional.stress"},
      {"match": r"\b(header|body)\b(?=\s*[\"'])", "name": "keyword.other.stress"},
      {"match": r"\b(json|query|env)\b(?=\s*\{)", "name": "keyword.other.stress"},
      {"match": r"\b(timeout)\b(?=[ \t]+(?:[0-9$(]|(?!(?:attempts|on|backoff|jitter|respect|ignore)\b)[A-Za-z_]))", "name": "keyword.other.stress"},
      {"match": r"\b(time|cost)\b(?=[ \t]+[$0-9])", "name": "keyword.other.stress"},
      # `ready log "…"`; `down cache`, `start up cache`: words that are keywords only there
      {"match": r"\b(ready)\s+(log)\b",
       "captures": {"1": {"name": "keyword.other.stress"}, "2": {"name": "keyword.other.stress"}}},
      {"match": r"\b(down|up)\b(?=[ \t]+[A-Za-z_])", "name": "keyword.other.stress"},
      {"match": r"\b(rate|max|retry)\b(?!\s*\()", "name": "keyword.other.stress"},
      {"match": r"\b(" + KEYWORDS + r")\b", "name": "keyword.other.stress"},
    ]},
    "numbers": {"patterns": [
      {"match": r"\$[0-9][0-9_]*(?:\.[0-9]+)?", "name": "constant.numeric.money.stress"},
      {"match": r"\b([0-9][0-9_]*(?:\.[0-9]+)?)(%|/[A-Za-z]+|[A-Za-z]+(?:/[A-Za-z]+|(?:[0-9]+(?:\.[0-9]+)?[A-Za-z]+)+)?)?",
       "captures": {"1": {"name": "constant.numeric.stress"}, "2": {"name": "keyword.other.unit.stress"}}},
    ]},
    "calls": {"patterns": [
      {"match": r"\b(" + PERCENTILE + r"|" + BUILTIN_FUNCS + r")\s*(?=\()",
       "captures": {"1": {"name": "support.function.builtin.stress"}}},
      {"match": r"\b(" + ID + r")\s*(?=\()", "captures": {"1": {"name": "entity.name.function.stress"}}},
    ]},
    "builtins": {"patterns": [
      {"match": r"\b(true|false)\b", "name": "constant.language.boolean.stress"},
      {"match": r"\b(" + CONSTS + r")\b", "name": "constant.language.stress"},
      {"match": r"\b(" + VARS + r")\b", "name": "variable.language.stress"},
    ]},
    "field": {"match": r"(\.)(" + ID + r")",
              "captures": {"1": {"name": "punctuation.accessor.stress"}, "2": {"name": "variable.other.property.stress"}}},
    "key": {"match": r"\b(" + ID + r")\s*(:)",
            "captures": {"1": {"name": "support.type.property-name.stress"}, "2": {"name": "punctuation.separator.colon.stress"}}},
    "operators": {"patterns": [
      {"match": r"=>", "name": "keyword.operator.arrow.stress"},
      {"match": r"\.\.", "name": "keyword.operator.range.stress"},
      {"match": r"==|!=|<=|>=|<|>", "name": "keyword.operator.comparison.stress"},
      {"match": r"&&|\|\||!", "name": "keyword.operator.logical.stress"},
      {"match": r"[-+*/%]", "name": "keyword.operator.arithmetic.stress"},
      {"match": r"=", "name": "keyword.operator.assignment.stress"},
    ]},
    "punctuation": {"patterns": [
      {"match": r",", "name": "punctuation.separator.comma.stress"},
      {"match": r":", "name": "punctuation.separator.colon.stress"},
    ]},
    "braces": {"begin": r"\{", "end": r"\}", "name": "meta.block.stress",
      "beginCaptures": {"0": {"name": "punctuation.section.block.begin.stress"}},
      "endCaptures": {"0": {"name": "punctuation.section.block.end.stress"}},
      "patterns": [{"include": "#items"}]},
    "parens": {"begin": r"\(", "end": r"\)", "name": "meta.parens.stress",
      "beginCaptures": {"0": {"name": "punctuation.section.parens.begin.stress"}},
      "endCaptures": {"0": {"name": "punctuation.section.parens.end.stress"}},
      "patterns": [
        {"match": r"\b(" + ID + r")\s*(:)",
         "captures": {"1": {"name": "variable.parameter.stress"}, "2": {"name": "punctuation.separator.colon.stress"}}},
        {"include": "#items"}]},
    "brackets": {"begin": r"\[", "end": r"\]", "name": "meta.brackets.stress",
      "beginCaptures": {"0": {"name": "punctuation.section.brackets.begin.stress"}},
      "endCaptures": {"0": {"name": "punctuation.section.brackets.end.stress"}},
      "patterns": [{"include": "#items"}]},
    "identifier": {"match": r"\b" + ID + r"\b", "name": "variable.other.stress"},
  },
}


def q(s):
    """A YAML double-quoted scalar (JSON string syntax is valid YAML 1.2)."""
    return json.dumps(s, ensure_ascii=False)


def ctx_name(ref):
    return ref.lstrip("#").replace("-", "_")


def captures_yaml(caps, indent):
    out = [indent + "captures:"]
    for k in sorted(caps, key=int):
        out.append(f"{indent}  {k}: {q(caps[k]['name'])}")
    return out


def rule_yaml(rule, indent, extra_contexts, name_hint):
    """One TextMate rule as a sublime-syntax list item."""
    out = []
    if "include" in rule:
        ref = rule["include"]
        out.append(f"{indent}- include: {'main' if ref == '$self' else ctx_name(ref)}")
    elif "match" in rule:
        out.append(f"{indent}- match: {q(rule['match'])}")
        if "name" in rule:
            out.append(f"{indent}  scope: {q(rule['name'])}")
        if "captures" in rule:
            out += captures_yaml(rule["captures"], indent + "  ")
    elif "begin" in rule:
        index = len(extra_contexts)
        body = f"{name_hint}_body{index}"
        extra_contexts.append(None)  # keeps the number while the inner rules are converted
        out.append(f"{indent}- match: {q(rule['begin'])}")
        caps = rule.get("beginCaptures", {})
        if list(caps) == ["0"]:
            out.append(f"{indent}  scope: {q(caps['0']['name'])}")
        elif caps:
            out += captures_yaml(caps, indent + "  ")
        out.append(f"{indent}  push: {body}")
        lines = []
        if "name" in rule:
            lines.append(f"    - meta_scope: {q(rule['name'])}")
        if "contentName" in rule:
            lines.append(f"    - meta_content_scope: {q(rule['contentName'])}")
        # The end pattern comes first: at one position it wins over the inner rules, as in
        # TextMate.
        lines.append(f"    - match: {q(rule['end'])}")
        ecaps = rule.get("endCaptures", {})
        if list(ecaps) == ["0"]:
            lines.append(f"      scope: {q(ecaps['0']['name'])}")
        elif ecaps:
            lines += captures_yaml(ecaps, "      ")
        lines.append("      pop: true")
        for inner in rule.get("patterns", []):
            lines += rule_yaml(inner, "    ", extra_contexts, body)
        extra_contexts[index] = (body, lines)
    else:
        raise ValueError(rule)
    return out


def sublime_syntax(grammar):
    out = [
        "%YAML 1.2",
        "---",
        "# Generated by editors/textmate/grammar.py from the TextMate grammar: edit that script.",
        "# Sublime Text: Packages/User/stress.sublime-syntax. bat: $(bat --config-dir)/syntaxes/,",
        "# then `bat cache --build`.",
        "name: stress",
        "file_extensions: [stress]",
        f"scope: {grammar['scopeName']}",
        "contexts:",
        "  main:",
    ]
    extra = []
    for rule in grammar["patterns"]:
        out += rule_yaml(rule, "    ", extra, "main")
    for name, entry in grammar["repository"].items():
        cname = ctx_name(name)
        out.append(f"  {cname}:")
        rules = entry["patterns"] if "patterns" in entry and "begin" not in entry else [entry]
        for rule in rules:
            out += rule_yaml(rule, "    ", extra, cname)
    for item in extra:
        body, lines = item
        out.append(f"  {body}:")
        out += lines
    return "\n".join(out) + "\n"


def outputs():
    here = os.path.dirname(os.path.abspath(__file__))
    editors = os.path.dirname(here)
    tm = json.dumps(g, indent=2) + "\n"
    return {
        os.path.join(here, "stress.tmLanguage.json"): tm,
        os.path.join(editors, "vscode", "syntaxes", "stress.tmLanguage.json"): tm,
        os.path.join(editors, "sublime", "stress.sublime-syntax"): sublime_syntax(g),
    }


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for path, text in outputs().items():
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current == text:
            continue
        if check:
            stale.append(path)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote", os.path.relpath(path))
    if stale:
        for path in stale:
            print(f"{os.path.relpath(path)} is not what editors/textmate/grammar.py writes: run it", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
