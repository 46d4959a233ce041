"""INFO: sections and field names as Redis 7.0 prints them."""
from __future__ import annotations

import os
import platform
import resource
import sys
import time

from fastresp.keyspace import heap_in_use

from pyredis import __version__

DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                    "modules", "errorstats", "cluster", "keyspace")
ALL_SECTIONS = DEFAULT_SECTIONS[:-3] + ("commandstats", "errorstats", "latencystats", "cluster",
                                        "keyspace")


def human_bytes(n: int) -> str:
    """Redis's bytesToHuman: 1.50K, 2.00M ..."""
    value = float(n)
    for unit in ("B", "K", "M", "G", "T", "P"):
        if value < 1024 or unit == "P":
            return f"{int(value)}B" if unit == "B" else f"{value:.2f}{unit}"
        value /= 1024
    return f"{n}B"


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def total_system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def section_server(s) -> list:
    uname = platform.uname()
    uptime = int(time.time() - s.start_time)
    return [
        ("redis_version", s.redis_version),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", "0"),
        ("redis_mode", "standalone"),
        ("os", f"{uname.system} {uname.release} {uname.machine}"),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", s.multiplexing_api),
        ("atomicvar_api", "c11-builtin"),
        ("gcc_version", "0.0.0"),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", s.run_id),
        ("tcp_port", s.config["port"]),
        ("server_time_usec", time.time_ns() // 1000),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", s.config["hz"]),
        ("configured_hz", s.config["hz"]),
        ("lru_clock", int(time.time()) & 0xffffff),
        ("executable", s.executable),
        ("config_file", s.config.config_file() or ""),
        ("io_threads_active", 0),
        ("server_name", "pyredis"),
        ("pyredis_version", __version__),
    ]


def section_clients(s) -> list:
    clients = list(s.core.clients.values())
    return [
        ("connected_clients", len(clients)),
        ("cluster_connections", 0),
        ("maxclients", s.config["maxclients"]),
        ("client_recent_max_input_buffer", max((c.qbuf_len for c in clients), default=0)),
        ("client_recent_max_output_buffer", max((c.obuf_len for c in clients), default=0)),
        ("blocked_clients", s.core.blocked_count + s.core.postponed_count),
        ("tracking_clients", 0),
        ("clients_in_timeout_table", s.core.timeout_table_count),
    ]


def section_memory(s) -> list:
    used = heap_in_use() or rss_bytes()
    s.memory_peak = max(s.memory_peak, used)
    rss = rss_bytes()
    maxmemory = s.config["maxmemory"]
    system = total_system_memory()
    # no allocator statistics here: the allocator's view is the heap in use, resident = RSS
    allocated = active = used
    lua = 31744                    # what an idle Redis reports for its scripting VM
    return [
        ("used_memory", used),
        ("used_memory_human", human_bytes(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", human_bytes(rss)),
        ("used_memory_peak", s.memory_peak),
        ("used_memory_peak_human", human_bytes(s.memory_peak)),
        ("used_memory_peak_perc", "%.2f%%" % (used * 100 / s.memory_peak if s.memory_peak else 0)),
        ("used_memory_overhead", s.memory_startup),
        ("used_memory_startup", s.memory_startup),
        ("used_memory_dataset", max(used - s.memory_startup, 0)),
        ("used_memory_dataset_perc", "%.2f%%" % (max(used - s.memory_startup, 0) * 100 / used
                                                 if used else 0)),
        ("allocator_allocated", allocated),
        ("allocator_active", active),
        ("allocator_resident", rss),
        ("total_system_memory", system),
        ("total_system_memory_human", human_bytes(system)),
        ("used_memory_lua", lua),
        ("used_memory_vm_eval", lua),
        ("used_memory_lua_human", human_bytes(lua)),
        ("used_memory_scripts_eval", 0),
        ("number_of_cached_scripts", 0),
        ("number_of_functions", 0),
        ("number_of_libraries", 0),
        ("used_memory_vm_functions", 0),
        ("used_memory_vm_total", lua),
        ("used_memory_vm_total_human", human_bytes(lua)),
        ("used_memory_functions", 0),
        ("used_memory_scripts", 0),
        ("used_memory_scripts_human", "0B"),
        ("maxmemory", maxmemory),
        ("maxmemory_human", human_bytes(maxmemory)),
        ("maxmemory_policy", s.config["maxmemory-policy"]),
        ("allocator_frag_ratio", "%.2f" % (active / allocated if allocated else 0)),
        ("allocator_frag_bytes", active - allocated),
        ("allocator_rss_ratio", "%.2f" % (rss / active if active else 0)),
        ("allocator_rss_bytes", rss - active),
        ("rss_overhead_ratio", "%.2f" % (rss / rss if rss else 0)),
        ("rss_overhead_bytes", 0),
        ("mem_fragmentation_ratio", "%.2f" % (rss / used if used else 0)),
        ("mem_fragmentation_bytes", rss - used),
        ("mem_not_counted_for_evict", 0),
        ("mem_replication_backlog", 0),
        ("mem_total_replication_buffers", 0),
        ("mem_clients_slaves", 0),
        ("mem_clients_normal", sum(c.obuf_mem + c.qbuf_len for c in s.core.clients.values())),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", 0),
        ("mem_allocator", "libc"),
        ("active_defrag_running", 0),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def section_persistence(s) -> list:
    return (s.persistence.info_fields() + list(s.aof.info().items()) +
            s.loading.info_fields())


def section_stats(s) -> list:
    core, ks = s.core, s.keyspace.stats()
    channels, patterns, shard_channels = s.pubsub.counts()
    return [
        ("total_connections_received", core.stat_numconnections),
        ("total_commands_processed", core.stat_numcommands),
        ("instantaneous_ops_per_sec", s.metrics.rate("ops")),
        ("total_net_input_bytes", core.stat_net_input_bytes),
        ("total_net_output_bytes", core.stat_net_output_bytes),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("instantaneous_input_kbps", "%.2f" % (s.metrics.rate("in") / 1024)),
        ("instantaneous_output_kbps", "%.2f" % (s.metrics.rate("out") / 1024)),
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
        ("rejected_connections", core.stat_rejected_conn),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", ks["expired_keys"]),
        ("expired_stale_perc", "%.2f" % ks["expired_stale_perc"]),
        ("expired_time_cap_reached_count", ks["expired_time_cap_reached_count"]),
        ("expire_cycle_cpu_milliseconds", ks["expire_cycle_cpu_milliseconds"]),
        ("evicted_keys", 0),
        ("evicted_clients", 0),
        ("total_eviction_exceeded_time", 0),
        ("current_eviction_exceeded_time", 0),
        ("keyspace_hits", ks["keyspace_hits"]),
        ("keyspace_misses", ks["keyspace_misses"]),
        ("pubsub_channels", channels),
        ("pubsub_patterns", patterns),
        ("pubsubshard_channels", shard_channels),
        ("latest_fork_usec", s.persistence.latest_fork_usec),
        ("total_forks", s.persistence.total_forks),
        ("migrate_cached_sockets", 0),
        ("slave_expires_tracked_keys", 0),
        ("active_defrag_hits", 0),
        ("active_defrag_misses", 0),
        ("active_defrag_key_hits", 0),
        ("active_defrag_key_misses", 0),
        ("total_active_defrag_time", 0),
        ("current_active_defrag_time", 0),
        ("tracking_total_keys", 0),
        ("tracking_total_items", 0),
        ("tracking_total_prefixes", 0),
        ("unexpected_error_replies", 0),
        ("total_error_replies", core.stat_total_error_replies),
        ("dump_payload_sanitizations", 0),
        ("total_reads_processed", core.stat_reads),
        ("total_writes_processed", core.stat_writes),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
        ("reply_buffer_shrinks", 0),
        ("reply_buffer_expands", 0),
        # pyredis: commands that ran a Python handler (hot commands run none)
        ("python_handler_calls", core.stat_python_calls),
    ]


def section_replication(s) -> list:
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", s.replid),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", s.config["repl-backlog-size"]),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def section_cpu(s) -> list:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return [
        ("used_cpu_sys", "%.6f" % me.ru_stime),
        ("used_cpu_user", "%.6f" % me.ru_utime),
        ("used_cpu_sys_children", "%.6f" % kids.ru_stime),
        ("used_cpu_user_children", "%.6f" % kids.ru_utime),
        ("used_cpu_sys_main_thread", "%.6f" % me.ru_stime),
        ("used_cpu_user_main_thread", "%.6f" % me.ru_utime),
    ]


def section_modules(s) -> list:
    return []


def section_errorstats(s) -> list:
    return [(f"errorstat_{prefix}", f"count={count}")
            for prefix, count in sorted(s.core.error_stats().items())]


def section_latencystats(s) -> list:
    # per-command latency histograms are not kept: the section exists, empty
    return []


def section_cluster(s) -> list:
    return [("cluster_enabled", 0)]


def section_keyspace(s) -> list:
    ks = s.keyspace
    return [(f"db{i}", f"keys={ks.dbsize(i)},expires={ks.expires(i)},avg_ttl={ks.avg_ttl(i)}")
            for i in range(ks.ndbs) if ks.dbsize(i)]


def section_commandstats(s) -> list:
    return [(f"cmdstat_{name}",
             f"calls={calls},usec={usec},usec_per_call={usec / calls if calls else 0:.2f},"
             f"rejected_calls={rejected},failed_calls={failed}")
            for name, calls, usec, rejected, failed in sorted(s.core.command_stats())]


SECTIONS = {
    "server": ("Server", section_server),
    "clients": ("Clients", section_clients),
    "memory": ("Memory", section_memory),
    "persistence": ("Persistence", section_persistence),
    "stats": ("Stats", section_stats),
    "replication": ("Replication", section_replication),
    "cpu": ("CPU", section_cpu),
    "modules": ("Modules", section_modules),
    "commandstats": ("Commandstats", section_commandstats),
    "errorstats": ("Errorstats", section_errorstats),
    "latencystats": ("Latencystats", section_latencystats),
    "cluster": ("Cluster", section_cluster),
    "keyspace": ("Keyspace", section_keyspace),
}


def wanted_sections(args: list[str]) -> list[str]:
    """Section names for INFO's arguments: none = default; all/everything; several at once."""
    if not args:
        return list(DEFAULT_SECTIONS)
    chosen: list[str] = []
    for arg in args:
        name = arg.lower()
        if name in ("all", "everything"):
            extra = list(ALL_SECTIONS)
        elif name == "default":
            extra = list(DEFAULT_SECTIONS)
        else:
            extra = [name]
        chosen.extend(n for n in extra if n not in chosen)
    order = list(SECTIONS)
    return sorted((n for n in chosen if n in SECTIONS), key=order.index)


def render(server, args: list[str]) -> str:
    """The INFO text: '# Section' headers, field:value lines, CRLF line ends."""
    blocks = []
    for name in wanted_sections(args):
        title, build = SECTIONS[name]
        lines = [f"# {title}"] + [f"{key}:{value}" for key, value in build(server)]
        blocks.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(blocks)
