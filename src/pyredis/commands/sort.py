"""The generic group (SORT, SORT_RO). Every handler is Cython (fastresp.t_sort); this module declares them."""
from pyredis.commands.table import Group

group = Group("generic")
cmd = group.native
