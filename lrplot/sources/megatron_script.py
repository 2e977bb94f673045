"""The command-line flags of a Megatron-LM launch script (a shell script), read without running it.

A launch script sets shell variables (``LR=3e-4``, arrays ``TRAINING_ARGS=( --lr 6.0e-5 ... )``)
and runs one command (``torchrun ... pretrain_gpt.py ${TRAINING_ARGS[@]} --lr $LR``), its lines
joined by ``\\`` continuations. This module splits the script into words with :mod:`shlex` (quotes
and comments as the shell reads them), keeps the variables the script assigns, finds the command
that holds Megatron's training flags and expands what it names: ``$VAR``/``${VAR}`` (a word that
is only a variable splits into that value's words, as an unquoted expansion does) and
``${ARRAY[@]}``. Nothing runs: ``$(...)``, ``$((...))`` and arguments (``$1``) are not evaluated,
and a flag whose value needs one is asked for by name (:func:`value`). Each flag keeps where it
stands in the script, for error messages.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from ..errors import Location, SpecError

_ASSIGN = re.compile(r"^\s*(?:export\s+|declare\s+(?:-\w+\s+)*|local\s+)?([A-Za-z_][A-Za-z0-9_]*)(?:\+(?==))?=(.*)$",
                     re.S)  # NAME=..., or NAME+=... (appends: _plus)
_QUOTED_LINES = 400  # at most this many lines of one quoted text are joined
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(\[[@*]\])?\}|([A-Za-z_][A-Za-z0-9_]*)|(\d|\{\d+\}|\(|\{))")


@dataclass
class Flag:
    """One flag of the command: its value words (raw, variables not yet expanded) and where it stands."""

    name: str            # "lr-decay-iters"
    words: list[str]
    where: Location


@dataclass
class Branched:
    """A variable the script assigns inside an ``if``/``case``/loop: which value holds depends on the
    shell running the test, which lrplot does not, so it is asked for (``mamba/train.sh`` sets
    ``GLOBAL_BATCH_SIZE`` to 32 or 8 by ``case "${MODEL_SCALE}"``)."""

    lines: list[int]


@dataclass
class Script:
    flags: dict[str, Flag]
    variables: dict[str, str | list[str] | Branched]
    path: str


_OPENS = frozenset({"if", "case", "for", "while", "until", "select"})
_CLOSES = frozenset({"fi", "esac", "done"})


def _depth_change(words: list[str]) -> int:
    """How many ``if``/``case``/loops a line opens minus those it closes (a keyword counts at the
    start of the line or after a ``;``)."""
    change, command_start = 0, True
    for word in words:
        bare = word.rstrip(";")
        if command_start and bare in _OPENS:
            change += 1
        elif bare in _CLOSES:
            change -= 1
        command_start = word.endswith(";") or bare in ("then", "do", "else", "elif", "&&", "||")
    return change


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line, text) of each logical line: ``\\``-newline joined, and an array
    assignment ``NAME=( ... )`` kept whole across its lines."""
    out: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start, buf = i + 1, lines[i]
        while buf.endswith("\\") and not buf.endswith("\\\\") and i + 1 < len(lines):
            i += 1
            buf = buf[:-1] + " " + lines[i]
        for _ in range(_QUOTED_LINES):  # a quoted text that goes on over lines ("...\n...")
            if i + 1 >= len(lines) or not _unclosed(buf):
                break
            i += 1
            buf += "\n" + lines[i]
        m = _ASSIGN.match(buf)
        if m and m.group(2).lstrip().startswith("(") and ")" not in _strip_comment(m.group(2)):
            while i + 1 < len(lines):
                i += 1
                buf += "\n" + lines[i]
                if ")" in _strip_comment(lines[i]):
                    break
        out.append((start, buf))
        i += 1
    return out


def _unclosed(text: str) -> bool:
    try:
        _words(text)
    except ValueError as exc:
        return "quotation" in str(exc)
    return False


def _strip_comment(line: str) -> str:
    try:
        return " ".join(_words(line))
    except ValueError:
        return line


def _words(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _locate(path: str, text: str, flag: str) -> Location:
    """Where ``--flag`` first stands in the script (1-based line and column)."""
    m = re.search(rf"(?<![\w-])--{re.escape(flag)}(?![\w-])", text)
    if m is None:
        return Location(path)
    line = text.count("\n", 0, m.start()) + 1
    col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    return Location(path, line, col)


def _expand_words(words: list[str], variables: dict[str, str | list[str]]) -> list[str]:
    """Array splices and whole-word variables replaced by their words (unknown ones kept raw)."""
    out: list[str] = []
    for word in words:
        m = _VAR.fullmatch(word)
        name = m and (m.group(1) or m.group(3))
        value = variables.get(name) if name else None
        if isinstance(value, list):
            out.extend(_expand_words(value, {k: v for k, v in variables.items() if k != name}))
        elif isinstance(value, str) and len(_words(value)) > 1:
            out.extend(_expand_words(_words(value), {k: v for k, v in variables.items() if k != name}))
        else:
            out.append(word)
    return out


def _known(word: str, variables: dict[str, str | list[str]]) -> str:
    """``word`` with the variables already set to plain text substituted, as bash does when it
    assigns (``LR=$BASE_LR``); the others stay as they are."""
    def sub(m: re.Match) -> str:
        val = variables.get(m.group(1) or m.group(3) or "")
        return val if isinstance(val, str) and not m.group(2) else m.group(0)
    return _VAR.sub(sub, word)


def _appended(name: str, rest: str, before: object) -> list[str] | None:
    """The words ``NAME="$NAME more words"`` adds to a text ``NAME`` already holds, or
    ``NAME=("${NAME[@]}" more words)`` to an array, else None."""
    array = rest.strip()
    if isinstance(before, list) and array.startswith("(") and ")" in array:
        words = _words(array[1:array.rfind(")")])
        return words[1:] if words and words[0] in (f"${{{name}[@]}}", f"${{{name}[*]}}") else None
    if not isinstance(before, str):
        return None
    words = _words(rest.strip())
    if len(words) != 1:
        return None
    for head in (f"${{{name}}}", f"${name}"):
        if words[0].startswith(head) and not (head == f"${name}" and (words[0][len(head):len(head) + 1].isalnum() or words[0][len(head):len(head) + 1] == "_")):
            return _words(words[0][len(head):])
    return None


def _plus(m: re.Match, before: object) -> str:
    """``NAME+=(words)`` / ``NAME+=text`` written as the assignment it is, ``NAME=("${NAME[@]}" words)`` /
    ``NAME="${NAME}text"`` (bash appends to an array, or to a text)."""
    name, rest = m.group(1), m.group(2).strip()
    if rest.startswith("("):
        return f'{name}=("${{{name}[@]}}" {rest[1:]}' if isinstance(before, list) else f"{name}={rest}"
    return f'{name}="${{{name}}}"{rest}' if isinstance(before, str) else f"{name}={rest}"


def parse(text: str, path: str, is_flag: set[str]) -> Script:
    """The variables the script assigns and the flags of the one command that holds any flag of
    ``is_flag`` (the training command). Refused: no such command, or two of them."""
    variables: dict[str, str | list[str] | Branched] = {}
    commands: list[list[str]] = []
    depth = 0  # inside this many if/case/loops
    flagged: dict[str, list[int]] = {}  # variables set with Megatron's flags inside one: lines
    for start, line in _logical_lines(text):
        try:
            m = _ASSIGN.match(line)
            if m and line[m.end(1)] == "+":  # ARGS+=(--lr 1e-4): the words it adds after what it holds
                before, rest = variables.get(m.group(1)), m.group(2).strip()
                if depth == 0 and isinstance(before, list) and rest.startswith("("):
                    variables[m.group(1)] = before + _words(rest[1:rest.rfind(")")] if ")" in rest else rest[1:])
                    continue
                m = _ASSIGN.match(_plus(m, before))
            if m and depth > 0:
                name, before = m.group(1), variables.get(m.group(1))
                added = _appended(name, m.group(2), before)
                if added is not None and not any(w.startswith("--") and w[2:].split("=")[0] in is_flag
                                                 for w in added):
                    continue  # OPTIONS="$OPTIONS --no-pipeline-parallel" in an if: adds no flag lrplot reads
                variables[name] = Branched((before.lines if isinstance(before, Branched) else []) + [start])
                if any(w.startswith("--") and w[2:].split("=")[0] in is_flag
                       for w in _words(" ".join(_words(m.group(2))))):
                    flagged.setdefault(name, []).append(start)
                continue
            if m:
                rest = m.group(2).strip()
                if rest.startswith("("):
                    inner = rest[1:rest.rfind(")")] if ")" in rest else rest[1:]
                    variables[m.group(1)] = _words(inner)
                else:
                    words = _words(rest) if rest else [""]
                    variables[m.group(1)] = _known(words[0] if words else "", variables)
                continue
            words = _words(line)
        except ValueError:  # an unclosed quote: not a line lrplot can read, and not the command
            continue
        depth = max(0, depth + _depth_change(words))
        expanded = _expand_words(words, variables)
        if words and words[0] in ("echo", "printf"):  # shows the command, does not run it
            continue
        if any(w.startswith("--") and w[2:].split("=")[0] in is_flag for w in expanded):
            commands.append(expanded)
    used = {m.group(1) or m.group(3) for w in (commands[0] if len(commands) == 1 else ()) for m in _VAR.finditer(w)}
    if flagged and (not commands or used & set(flagged)):
        name, lines = next((k, v) for k, v in flagged.items() if not commands or k in used)
        raise SpecError(f"the script sets {name} with Megatron's training flags inside an if, case or loop (line "
                        f"{', '.join(map(str, lines))}), and which flags the run gets depends on the shell running "
                        "it, which lrplot does not", location=Location(path, lines[0]),
                        hint="keep the branch the run takes in a copy of the script")
    if not commands:
        raise SpecError("found no command with Megatron's training flags (--train-iters or --train-samples, --lr)",
                        location=Location(path), hint="read the script's YAML (--yaml-cfg) or give --from megatron "
                                                       "a script that runs pretrain_*.py with its flags")
    if len(commands) > 1:
        raise SpecError(f"{len(commands)} commands in this script carry Megatron's training flags: lrplot cannot tell "
                        "which one is the run", location=Location(path),
                        hint="keep one command in a copy of the script")
    flags: dict[str, Flag] = {}
    words = commands[0]
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("--") and len(word) > 2:
            name, eq, first = word[2:].partition("=")
            values = [first] if eq else []
            j = i + 1
            while not eq and j < len(words) and not (words[j].startswith("--") and len(words[j]) > 2):
                values.append(words[j])
                j += 1
            flags[name] = Flag(name, values, _locate(path, text, name))  # argparse: the last one wins
            i = j if not eq else i + 1
        else:
            i += 1
    return Script(flags, variables, path)


def value(script: Script, flag: Flag) -> list[str]:
    """The flag's words with the script's variables expanded; a variable the script does not set
    (or sets by running something) is asked for by name, in one line."""
    out = []
    for word in _expand_words(flag.words, script.variables):
        def sub(m: re.Match) -> str:
            name = m.group(1) or m.group(3)
            val = script.variables.get(name) if name else None
            if isinstance(val, Branched):
                raise SpecError(f"--{flag.name} {' '.join(flag.words)}: the script sets {name} inside an if, case or "
                                f"loop ({'lines' if len(val.lines) > 1 else 'line'} {', '.join(map(str, val.lines))}), and which value holds depends on the "
                                "shell running it, which lrplot does not", location=flag.where,
                                hint=f"give it with --set {flag.name}=VALUE")
            if not isinstance(val, str) or "$" in val:
                why = (f"the script does not set {name} to a value lrplot can read (it is an argument, an environment "
                       "variable or computed by the shell)" if name else
                       "the shell computes it ($(...), $((...)) or an argument), which lrplot does not run")
                raise SpecError(f"--{flag.name} {' '.join(flag.words)}: {why}",
                                location=flag.where, hint=f"give it with --set {flag.name}=VALUE")
            return val
        out.append(_VAR.sub(sub, word))
    return out
