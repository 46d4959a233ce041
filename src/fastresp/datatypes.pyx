# cython: language_level=3
"""The value types the keyspace holds beyond strings, and how to free and copy each one.

The keyspace (keyspace.pyx) cannot import the type modules (they build on it), so it is handed
their operations here: install() fills its table once; Keyspace() calls it before the first
database exists, so no keyspace ever holds a value it cannot free."""
from fastresp.keyspace cimport register_type_ops, T_LIST, T_SET, T_ZSET, T_HASH
from fastresp.t_list cimport list_free_value, list_dup_value
from fastresp.t_set cimport set_free_value, set_dup_value
from fastresp.t_zset cimport zset_free_value, zset_dup_value
from fastresp.t_hash cimport hash_free_value, hash_dup_value


def install():
    """Give the keyspace the free and copy operations of every aggregate type."""
    register_type_ops(T_LIST, list_free_value, list_dup_value)
    register_type_ops(T_SET, set_free_value, set_dup_value)
    register_type_ops(T_ZSET, zset_free_value, zset_dup_value)
    register_type_ops(T_HASH, hash_free_value, hash_dup_value)
