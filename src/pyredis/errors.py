"""Error replies, worded byte for byte as Redis 7.0 words them.

Every text lives in fastresp's includes/errors.h; this module re-exports them by name
(errors.SYNTAX, errors.WRONGTYPE, errors.ARITY_FMT ...) with the helpers that format the
parameterized ones. A handler raises ``CommandError`` with the full text (prefix included, no
leading ``-``); the dispatcher writes it as an error reply and counts it in INFO errorstats.
"""
from fastresp.errors import *  # noqa: F401,F403  (CommandError, every text and the helpers)
