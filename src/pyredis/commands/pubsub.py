"""The pubsub group. SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UNSUBSCRIBEs, PUBLISH, SPUBLISH
and the PUBSUB subcommands (but HELP) are Cython (fastresp.pubsub)."""
from fastresp.reply import Status
from fastresp.pubsub import HANDLERS

from pyredis.commands.table import Group

group = Group("pubsub", since="2.0.0", handlers=HANDLERS)
cmd = group.native

SUB_FLAGS = "pubsub noscript loading stale"

cmd("SUBSCRIBE channel [channel ...]", -2, SUB_FLAGS, roles="subscribed_context",
    complexity="O(N) where N is the number of channels to subscribe to.",
    summary="Listen for messages published to the given channels")
cmd("UNSUBSCRIBE [channel [channel ...]]", -1, SUB_FLAGS, roles="subscribed_context",
    complexity="O(N) where N is the number of clients already subscribed to a channel.",
    summary="Stop listening for messages posted to the given channels")
# Redis documents PSUBSCRIBE's argument as a block holding the pattern, which the usage
# grammar cannot express: COMMAND DOCS takes doc_arguments instead of the usage line's.
cmd("PSUBSCRIBE pattern [pattern ...]", -2, SUB_FLAGS, roles="subscribed_context",
    complexity="O(N) where N is the number of patterns the client is already subscribed to.",
    summary="Listen for messages published to channels matching the given patterns",
    doc_arguments=[{"name": "pattern", "type": "block", "flags": ["multiple"],
                    "arguments": [{"name": "pattern", "type": "pattern"}]}])
cmd("PUNSUBSCRIBE [pattern [pattern ...]]", -1, SUB_FLAGS, roles="subscribed_context",
    complexity="O(N+M) where N is the number of patterns the client is already subscribed "
               "and M is the number of total patterns subscribed in the system (by any client).",
    summary="Stop listening for messages posted to channels matching the given patterns")
cmd("PUBLISH channel message", 3, "pubsub loading stale fast", roles="paused_as_write",
    complexity="O(N+M) where N is the number of clients subscribed to the receiving channel "
               "and M is the total number of subscribed patterns (by any client).",
    summary="Post a message to a channel")

# Shard channels: one shard here. Their channel arguments are declared as keys (for cluster
# slot routing) flagged not_key, as Redis declares them.
cmd("SSUBSCRIBE shardchannel [shardchannel ...]", -2, SUB_FLAGS, roles="subscribed_context",
    keys=(1, -1, 1), key_flags=("not_key",), since="7.0.0",
    complexity="O(N) where N is the number of shard channels to subscribe to.",
    summary="Listen for messages published to the given shard channels")
cmd("SUNSUBSCRIBE [shardchannel [shardchannel ...]]", -1, SUB_FLAGS, roles="subscribed_context",
    keys=(1, -1, 1), key_flags=("not_key",), since="7.0.0",
    complexity="O(N) where N is the number of clients already subscribed to a shard channel.",
    summary="Stop listening for messages posted to the given shard channels")
cmd("SPUBLISH shardchannel message", 3, "pubsub loading stale fast", roles="paused_as_write",
    keys=(1, 1, 1), key_flags=("not_key",), since="7.0.0",
    complexity="O(N) where N is the number of clients subscribed to the receiving shard channel.",
    summary="Post a message to a shard channel")

# ---------------------------------------------------------------------------------------------
# PUBSUB
# ---------------------------------------------------------------------------------------------
pubsub_cmd = group.container("PUBSUB", "A container for Pub/Sub commands", since="2.8.0")
INTROSPECTION = "pubsub loading stale"

cmd("PUBSUB CHANNELS [pattern]", -2, INTROSPECTION, parent="pubsub",
    since="2.8.0", summary="List active channels",
    complexity="O(N) where N is the number of active channels, and assuming constant time "
               "pattern matching (relatively short channels and patterns)")
cmd("PUBSUB NUMPAT", 2, INTROSPECTION, parent="pubsub", since="2.8.0",
    summary="Get the count of unique patterns pattern subscriptions")
cmd("PUBSUB NUMSUB [channel [channel ...]]", -2, INTROSPECTION,
    parent="pubsub", since="2.8.0", summary="Get the count of subscribers for channels",
    complexity="O(N) for the NUMSUB subcommand, where N is the number of requested channels")
cmd("PUBSUB SHARDCHANNELS [pattern]", -2, INTROSPECTION,
    parent="pubsub", since="7.0.0", summary="List active shard channels",
    complexity="O(N) where N is the number of active shard channels, and assuming constant "
               "time pattern matching (relatively short shard channels).")
cmd("PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]", -2, INTROSPECTION,
    parent="pubsub", since="7.0.0",
    summary="Get the count of subscribers for shard channels",
    complexity="O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard "
               "channels")

PUBSUB_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


# PUBSUB HELP
@group.command("PUBSUB HELP", 2, "loading stale", parent="pubsub", since="6.2.0",
               group_category=False,
               summary="Show helpful text about the different subcommands")
def pubsub_help(server, client, args):
    return [Status(line) for line in PUBSUB_HELP]
