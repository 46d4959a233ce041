"""COMMAND DOCS: documentation replies built from the command table's usage lines.

The usage grammar is the one the Redis documentation uses:
    item  := WORD ['...'] | '[' alts ']' | '(' alts ')'
    alts  := seq ('|' seq)*
An UPPER-CASE word is a token: alone it is a pure token, followed by a lower-case word it names
that word's token ("EX seconds"), followed by a parenthesized group that group's token ("TYPE
(NORMAL | MASTER)"). "x [x ...]" collapses into one argument flagged "multiple". A top-level
"a | b" is one required choice.
"""
from __future__ import annotations

import re

from fastresp.reply import Status

from pyredis.commands.table import CommandSpec, SetReply

INTEGER_NAMES = {"seconds", "milliseconds", "count", "start", "end", "offset", "increment",
                 "decrement", "index", "index1", "index2", "db", "destination-db", "cursor",
                 "timeout", "len", "protover", "client-id", "numkeys"}
KEY_NAMES = {"key", "newkey", "source", "destination", "key1", "key2"}


def _tokens(usage: str) -> list[str]:
    return re.findall(r"\.\.\.|[\[\]()|]|[^\s\[\]()|]+", usage)


class _Parser:
    def __init__(self, tokens):
        self.toks = tokens
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def alts(self):
        options = [self.seq()]
        while self.peek() == "|":
            self.i += 1
            options.append(self.seq())
        return options

    def seq(self):
        items = []
        while self.peek() not in (None, "]", ")", "|"):
            tok = self.peek()
            self.i += 1
            if tok in ("[", "("):
                options = self.alts()
                self.i += 1          # the closing bracket
                items.append(("group", options, tok == "["))
            elif tok == "...":
                items.append(("more",))
            else:
                items.append(("word", tok))
        return items


def _word_arg(word: str, token: str | None, spec: CommandSpec, keys: list) -> dict:
    name = word.lower()
    if word.isupper() and token is None:
        return {"name": name, "type": "pure-token", "token": word}
    if name in KEY_NAMES:
        index = keys.index(name) if name in keys else len(keys)
        if name not in keys:
            keys.append(name)
        arg = {"name": name, "type": "key",
               "key_spec_index": min(index, max(len(spec.key_specs) - 1, 0))}
    elif name.startswith("unix-time"):
        arg = {"name": name, "type": "unix-time"}
    elif name == "pattern":
        arg = {"name": name, "type": "pattern"}
    elif ((name == "increment" and spec.name == "incrbyfloat")
          or (name == "timeout" and "blocking" in spec.flags)):
        arg = {"name": name, "type": "double"}      # seconds with fractions (BLPOP ...)
    elif name in INTEGER_NAMES:
        arg = {"name": name, "type": "integer"}
    else:
        arg = {"name": name, "type": "string"}
    if token:
        arg["token"] = token
    return arg


def _flag(arg: dict, flag: str) -> dict:
    flags = list(arg.get("flags", []))
    if flag not in flags:
        flags.append(flag)
    arg["flags"] = flags
    return arg


def _convert(items, spec, keys) -> list[dict]:
    out: list[dict] = []
    i = 0
    while i < len(items):
        item = items[i]
        if item[0] == "word":
            word = item[1]
            nxt = items[i + 1] if i + 1 < len(items) else None
            if word.isupper() and nxt and nxt[0] == "word" and not nxt[1].isupper():
                out.append(_word_arg(nxt[1], word, spec, keys))
                i += 2
                continue
            if word.isupper() and nxt and nxt[0] == "group" and not nxt[2]:
                # "TYPE (NORMAL | MASTER)": the token introduces the whole choice
                converted = _convert([nxt], spec, keys)
                if len(converted) == 1:
                    converted[0]["token"] = word
                    out.append(converted[0])
                    i += 2
                    continue
            out.append(_word_arg(word, None, spec, keys))
        elif item[0] == "group":
            options, optional = item[1], item[2]
            inner = [_convert(opt, spec, keys) for opt in options]
            # "x [x ...]": the previous arguments repeat
            if (optional and len(options) == 1 and options[0] and options[0][-1] == ("more",)
                    and out):
                repeated = len(_convert(options[0][:-1], spec, []))
                if repeated == 1 or len(out) >= repeated:
                    if repeated > 1:
                        block = {"name": "data", "type": "block", "arguments": out[-repeated:]}
                        out[-repeated:] = [block]
                    _flag(out[-1], "multiple")
                    if options[0][0] == ("word", out[-1].get("token")):
                        _flag(out[-1], "multiple_token")   # "GET pattern [GET pattern ...]"
                    i += 1
                    continue
            if len(inner) > 1:
                arg = {"name": "_".join(a[0]["name"] for a in inner if a) or "option",
                       "type": "oneof",
                       "arguments": [a[0] if len(a) == 1 else
                                     {"name": a[0]["name"], "type": "block", "arguments": a}
                                     for a in inner if a]}
                out.append(_flag(arg, "optional") if optional else arg)
            elif len(inner[0]) == 1:
                out.append(_flag(inner[0][0], "optional") if optional else inner[0][0])
            elif inner[0]:
                arg = {"name": inner[0][0]["name"], "type": "block", "arguments": inner[0]}
                out.append(_flag(arg, "optional") if optional else arg)
        i += 1
    return out


def arguments(spec: CommandSpec) -> list[dict]:
    """The arguments of a command, as COMMAND DOCS describes them."""
    if spec.doc_arguments is not None:
        return [_finish(dict(arg)) for arg in spec.doc_arguments]
    words = _tokens(spec.usage)
    skip = 2 if spec.parent else 1
    options = _Parser(words[skip:]).alts()
    # "X | Y" at the top level is one required choice
    items = options[0] if len(options) == 1 else [("group", options, False)]
    return [_finish(arg) for arg in _convert(items, spec, [])]


FLAG_ORDER = ("optional", "multiple", "multiple_token")   # as Redis lists argument flags


def _finish(arg: dict) -> dict:
    """Reply shape: flags as a set, nested arguments finished too."""
    out = {}
    for key in ("name", "type", "key_spec_index", "token"):
        if key in arg:
            out[key] = arg[key]
    if "flags" in arg:
        order = sorted(arg["flags"], key=FLAG_ORDER.index)
        out["flags"] = SetReply(Status(flag) for flag in order)
    if "arguments" in arg:
        out["arguments"] = [_finish(a) for a in arg["arguments"]]
    return out


def command_docs(spec: CommandSpec) -> dict:
    """One command's COMMAND DOCS map."""
    doc = {"summary": spec.summary, "since": spec.since, "group": spec.group,
           "complexity": spec.complexity}
    args = arguments(spec) if not spec.subcommands else []
    if args:
        doc["arguments"] = args
    if spec.subcommands:
        doc["subcommands"] = {sub.fullname: command_docs(sub) for sub in spec.subcommands}
    return doc
