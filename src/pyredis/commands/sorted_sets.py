"""The sorted_set group. Every handler is Cython (fastresp.t_zset); this module declares them."""
from pyredis.commands.table import Group

group = Group("sorted_set")
cmd = group.native
