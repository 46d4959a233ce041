"""pyredis: a Redis-compatible server with a Cython hot path."""
from fastresp.util import REDIS_VERSION  # noqa: F401  (the Redis release pyredis reproduces)

__version__ = "0.1.0"
