"""The hash group. Every handler is Cython (fastresp.t_hash); this module declares them."""
from pyredis.commands.table import Group

group = Group("hash")
cmd = group.native
