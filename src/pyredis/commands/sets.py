"""The set group. Every handler is Cython (fastresp.t_set); this module declares them."""
from pyredis.commands.table import Group

group = Group("set")
cmd = group.native
