"""Server configuration: one table of settings drives redis.conf, the command line and
CONFIG GET/SET.

The package, by what each module holds:

* :mod:`pyredis.config.parsing`: ports of the C helpers Redis parses and prints config values
  with (string2ll, strtoll, memtoull, string2d, sdssplitargs as ``split_args``, sdscatrepr as
  ``repr_arg``, keyspace-event letters <-> flags, getAbsolutePath as ``abs_path``).
* :mod:`pyredis.config.settings`: the settings table (:class:`~pyredis.config.settings.Setting`,
  ``SETTINGS``, ``lookup_setting``): per directive its type, bounds, checks, special
  parse/format functions and apply step.
* :mod:`pyredis.config.apply`: the apply steps, ``apply(server, value)``: what the running
  server does to follow a setting (at start-up, and on a CONFIG SET that changes it).
* :mod:`pyredis.config.engine`: :class:`Config` (load with ``include``, CONFIG GET, CONFIG SET
  with rollback, ``attach`` of the server the apply steps act on),
  :class:`~pyredis.config.engine.Directive` and :class:`ConfigFileError`.

The command line (``pyredis-server [config-file] [--name value ...] [-]``) that turns into config
text is parsed in :mod:`pyredis.cli`, the entry point.

Messages, value formats and quirks were checked one by one against Debian's redis-server 7.0.15
(see tests/config/test_config_vs_redis.py, which re-checks many of them when redis-server is on PATH).

Text handling: config files are read as bytes and decoded as UTF-8 with ``surrogateescape``, so
values that are not valid UTF-8 (for instance produced by a ``"\\xff"`` escape) survive as lone
surrogates; ``value.encode("utf-8", "surrogateescape")`` gives the original bytes back.
"""

from pyredis.config.engine import Config, ConfigFileError

__all__ = ["Config", "ConfigFileError"]
