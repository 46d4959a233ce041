"""pyredis: a Redis-compatible server with a Cython hot path."""
__version__ = "0.1.0"
REDIS_VERSION = "7.0.15"   # the Redis release whose behaviour pyredis reproduces
