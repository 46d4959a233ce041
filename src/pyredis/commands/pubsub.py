"""The pubsub group. SUBSCRIBE, PSUBSCRIBE, their UNSUBSCRIBEs and PUBLISH are Cython
(fastresp.pubsub)."""
from fastresp.pubsub import HANDLERS as H

from pyredis.commands.table import Group

group = Group("pubsub", since="2.0.0")
cmd = group.native

SUB_FLAGS = "pubsub noscript loading stale"

cmd("SUBSCRIBE channel [channel ...]", -2, SUB_FLAGS, H["subscribe"],
    complexity="O(N) where N is the number of channels to subscribe to.",
    summary="Listen for messages published to the given channels")
cmd("UNSUBSCRIBE [channel [channel ...]]", -1, SUB_FLAGS, H["unsubscribe"],
    complexity="O(N) where N is the number of clients already subscribed to a channel.",
    summary="Stop listening for messages posted to the given channels")
cmd("PSUBSCRIBE pattern [pattern ...]", -2, SUB_FLAGS, H["psubscribe"],
    complexity="O(N) where N is the number of patterns the client is already subscribed to.",
    summary="Listen for messages published to channels matching the given patterns")
cmd("PUNSUBSCRIBE [pattern [pattern ...]]", -1, SUB_FLAGS, H["punsubscribe"],
    complexity="O(N+M) where N is the number of patterns the client is already subscribed "
               "and M is the number of total patterns subscribed in the system (by any client).",
    summary="Stop listening for messages posted to channels matching the given patterns")
cmd("PUBLISH channel message", 3, "pubsub loading stale fast", H["publish"],
    complexity="O(N+M) where N is the number of clients subscribed to the receiving channel "
               "and M is the total number of subscribed patterns (by any client).",
    summary="Post a message to a channel")
