"""Error replies, worded byte for byte as Redis 7.0 words them.

Every error a command can reply with lives here (the Cython hot path reads the same texts from
fastresp's errors header, exposed through ``fastresp.errors``). A handler raises ``CommandError``
with the full text (prefix included, no leading ``-``); the dispatcher writes it as an error reply.
"""


class CommandError(Exception):
    """An error reply: ``str(err)`` is the reply text, e.g. ``"ERR syntax error"``."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOAUTH = "NOAUTH Authentication required."
