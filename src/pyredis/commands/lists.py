"""The list group. Every handler is Cython (fastresp.t_list); this module declares them."""
from pyredis.commands.table import Group

group = Group("list")
cmd = group.native
