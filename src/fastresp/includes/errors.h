/* Every error reply pyredis sends, worded byte for byte as Redis 7.0 words it (without the
 * leading '-' and the trailing CRLF): the one place these texts are written.
 *
 * FASTRESP_ERRORS lists them as X(NAME, "text"). C and Cython code use each as the constant
 * ERR_NAME (declared for Cython in errors.pxd); Python gets them all, by NAME, from the table
 * fr_errors through fastresp.errors (and pyredis.errors). A NAME ending in _FMT is a printf
 * format whose conversions Python's % operator also takes (%s, %d, %c, %.*s).
 *
 * Texts a server sends at connection level (not as a command's reply) are here too. */
#ifndef FASTRESP_ERRORS_H
#define FASTRESP_ERRORS_H

#define FASTRESP_ERRORS(X) \
    /* ----- the protocol: the connection is closed after the reply */ \
    X(PROTO_MBULK_LEN, "ERR Protocol error: invalid multibulk length") \
    X(PROTO_BULK_LEN, "ERR Protocol error: invalid bulk length") \
    X(PROTO_UNBALANCED, "ERR Protocol error: unbalanced quotes in request") \
    X(PROTO_BIG_INLINE, "ERR Protocol error: too big inline request") \
    X(PROTO_BIG_MBULK, "ERR Protocol error: too big mbulk count string") \
    X(PROTO_BIG_BULK, "ERR Protocol error: too big bulk count string") \
    X(PROTO_EXPECTED_DOLLAR_FMT, "ERR Protocol error: expected '$', got '%c'") \
    X(PROTO_UNAUTH_MBULK, "ERR Protocol error: unauthenticated multibulk length") \
    X(PROTO_UNAUTH_BULK, "ERR Protocol error: unauthenticated bulk length") \
    /* ----- connections */ \
    X(MAX_CLIENTS, "ERR max number of clients reached") \
    X(DENIED_PROTECTED_MODE, "DENIED Redis is running in protected mode because protected " \
      "mode is enabled and no password is set for the default user. In this mode connections " \
      "are only accepted from the loopback interface. If you want to connect from external " \
      "computers to Redis you may adopt one of the following solutions: 1) Just disable " \
      "protected mode sending the command 'CONFIG SET protected-mode no' from the loopback " \
      "interface by connecting to Redis from the same host the server is running, however MAKE " \
      "SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to " \
      "make this change permanent. 2) Alternatively you can just disable the protected mode by " \
      "editing the Redis configuration file, and setting the protected mode option to 'no', and " \
      "then restarting the server. 3) If you started the server manually just for testing, " \
      "restart it with the '--protected-mode no' option. 4) Setup a an authentication password " \
      "for the default user. NOTE: You only need to do one of the above things in order for the " \
      "server to start accepting connections from the outside.") \
    /* ----- dispatch */ \
    X(UNKNOWN_COMMAND_FMT, "ERR unknown command '%.*s', with args beginning with: %s") \
    X(UNKNOWN_SUBCOMMAND_FMT, "ERR unknown subcommand '%.*s'. Try %s HELP.") \
    X(SUBCOMMAND_SYNTAX_FMT, "ERR unknown subcommand or wrong number of arguments for '%.*s'. " \
      "Try %s HELP.") \
    X(ARITY_FMT, "ERR wrong number of arguments for '%s' command") \
    X(NOAUTH, "NOAUTH Authentication required.") \
    X(NOT_IN_TRANSACTION, "ERR Command not allowed inside a transaction") \
    X(SUBSCRIBED_CONTEXT_FMT, "ERR Can't execute '%s': only (P|S)SUBSCRIBE / " \
      "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context") \
    X(LOADING, "LOADING Redis is loading the dataset in memory") \
    X(OOM, "OOM command not allowed when used memory > 'maxmemory'.") \
    X(INTERNAL_FMT, "ERR internal error: %s") \
    X(DENY_BLOCKING_FMT, "ERR %s isn't allowed for a DENY BLOCKING client") \
    /* ----- persistence: writes refused */ \
    X(MISCONF_AOF_FMT, "MISCONF Errors writing to the AOF file: %s") \
    X(MISCONF_AOF_RECORD_LOST, "MISCONF Errors writing to the AOF file: an operation could not " \
      "be recorded (out of memory); the AOF must be rewritten (BGREWRITEAOF)") \
    X(MISCONF_RDB, "MISCONF Redis is configured to save RDB snapshots, but it's currently " \
      "unable to persist to disk. Commands that may modify the data set are disabled, because " \
      "this instance is configured to report errors during writes if RDB snapshotting fails " \
      "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about " \
      "the RDB error.") \
    /* ----- arguments */ \
    X(SYNTAX, "ERR syntax error") \
    X(NOT_INTEGER, "ERR value is not an integer or out of range") \
    X(NOT_FLOAT, "ERR value is not a valid float") \
    X(INT_RANGE, "ERR value is out of range, value must between -2147483648 and 2147483647") \
    X(VALUE_RANGE, "ERR value is out of range") \
    X(VALUE_POSITIVE, "ERR value is out of range, must be positive") \
    X(COUNT_RANGE, "ERR value is out of range, value must between -9223372036854775807 and " \
      "9223372036854775807") \
    X(COUNT_POSITIVE, "ERR count should be greater than 0") \
    X(NUMKEYS_POSITIVE, "ERR numkeys should be greater than 0") \
    X(NUMKEYS_ARGS, "ERR Number of keys can't be greater than number of args") \
    X(LIMIT_NEGATIVE, "ERR LIMIT can't be negative") \
    X(UNSUPPORTED_OPTION_FMT, "ERR Unsupported option %.*s") \
    X(TIMEOUT_NOT_FLOAT, "ERR timeout is not a float or out of range") \
    X(TIMEOUT_NOT_INTEGER, "ERR timeout is not an integer or out of range") \
    X(TIMEOUT_NEGATIVE, "ERR timeout is negative") \
    X(INVALID_CURSOR, "ERR invalid cursor") \
    /* ----- keys and values */ \
    X(WRONGTYPE, "WRONGTYPE Operation against a key holding the wrong kind of value") \
    X(NO_SUCH_KEY, "ERR no such key") \
    X(SAME_OBJECT, "ERR source and destination objects are the same") \
    X(DB_INDEX, "ERR DB index is out of range") \
    X(INVALID_DB_INDEX, "ERR invalid DB index") \
    X(INVALID_FIRST_DB, "ERR invalid first DB index") \
    X(INVALID_SECOND_DB, "ERR invalid second DB index") \
    X(EXPIRE_TIME_FMT, "ERR invalid expire time in '%s' command") \
    X(NX_XX_GT_LT, "ERR NX and XX, GT or LT options at the same time are not compatible") \
    X(GT_AND_LT, "ERR GT and LT options at the same time are not compatible") \
    X(GT_LT_NX, "ERR GT, LT, and/or NX options at the same time are not compatible") \
    X(LFU_SELECTED, "ERR An LFU maxmemory policy is selected, idle time not tracked. Please " \
      "note that when switching between policies at runtime LRU and LFU data will take some " \
      "time to adjust.") \
    X(LFU_NOT_SELECTED, "ERR An LFU maxmemory policy is not selected, access frequency not " \
      "tracked. Please note that when switching between policies at runtime LRU and LFU data " \
      "will take some time to adjust.") \
    /* ----- strings */ \
    X(OVERFLOW, "ERR increment or decrement would overflow") \
    X(DECR_OVERFLOW, "ERR decrement would overflow") \
    X(NAN_OR_INF, "ERR increment would produce NaN or Infinity") \
    X(STRING_TOO_LONG, "ERR string exceeds maximum allowed size (proto-max-bulk-len)") \
    X(OFFSET_RANGE, "ERR offset is out of range") \
    X(LCS_NOT_STRING, "ERR The specified keys must contain string values") \
    X(LCS_IDX_AND_LEN, "ERR If you want both the length and indexes, please just use IDX.") \
    X(LCS_TOO_LONG, "ERR String too long for LCS") \
    X(LCS_NOMEM, "ERR Insufficient memory, transient memory for LCS exceeds " \
      "proto-max-bulk-len") \
    /* ----- lists */ \
    X(INDEX_RANGE, "ERR index out of range") \
    X(RANK_ZERO, "ERR RANK can't be zero: use 1 to start from the first match, 2 from the " \
      "second ... or use negative to start from the end of the list") \
    X(COUNT_NEGATIVE, "ERR COUNT can't be negative") \
    X(MAXLEN_NEGATIVE, "ERR MAXLEN can't be negative") \
    /* ----- hashes */ \
    X(HASH_NOT_INTEGER, "ERR hash value is not an integer") \
    X(HASH_NOT_FLOAT, "ERR hash value is not a float") \
    X(VALUE_NAN_OR_INF, "ERR value is NaN or Infinity") \
    /* ----- sorted sets */ \
    X(XX_AND_NX, "ERR XX and NX options at the same time are not compatible") \
    X(INCR_SINGLE_PAIR, "ERR INCR option supports a single increment-element pair") \
    X(SCORE_NAN, "ERR resulting score is not a number (NaN)") \
    X(MINMAX_NOT_FLOAT, "ERR min or max is not a float") \
    X(MINMAX_NOT_LEX, "ERR min or max not valid string range item") \
    X(LIMIT_NEEDS_BY, "ERR syntax error, LIMIT is only supported in combination with either " \
      "BYSCORE or BYLEX") \
    X(WITHSCORES_BYLEX, "ERR syntax error, WITHSCORES not supported in combination with BYLEX") \
    X(WEIGHT_NOT_FLOAT, "ERR weight value is not a float") \
    X(AT_LEAST_ONE_KEY_FMT, "ERR at least 1 input key is needed for '%s' command") \
    X(SCORES_NOT_DOUBLE, "ERR One or more scores can't be converted into double") \
    /* ----- transactions */ \
    X(MULTI_NESTED, "ERR MULTI calls can not be nested") \
    X(EXEC_WITHOUT_MULTI, "ERR EXEC without MULTI") \
    X(DISCARD_WITHOUT_MULTI, "ERR DISCARD without MULTI") \
    X(WATCH_INSIDE_MULTI, "ERR WATCH inside MULTI is not allowed") \
    X(EXECABORT_FMT, "EXECABORT Transaction discarded because of: %.*s") \
    X(EXECABORT_PREVIOUS, "EXECABORT Transaction discarded because of previous errors.") \
    /* ----- blocking */ \
    X(UNBLOCKED, "UNBLOCKED client unblocked via CLIENT UNBLOCK") \
    /* ----- DUMP / RESTORE */ \
    X(BUSYKEY, "BUSYKEY Target key name already exists.") \
    X(INVALID_TTL, "ERR Invalid TTL value, must be >= 0") \
    X(INVALID_IDLETIME, "ERR Invalid IDLETIME value, must be >= 0") \
    X(INVALID_FREQ, "ERR Invalid FREQ value, must be >= 0 and <= 255") \
    X(DUMP_PAYLOAD, "ERR DUMP payload version or checksum are wrong") \
    X(BAD_DATA_FORMAT, "ERR Bad data format") \
    /* ----- connection commands */ \
    X(NOPROTO, "NOPROTO unsupported protocol version") \
    X(PROTOCOL_VERSION_NOT_INT, "ERR Protocol version is not an integer or out of range") \
    X(HELLO_OPTION_FMT, "ERR Syntax error in HELLO option '%s'") \
    X(WRONGPASS, "WRONGPASS invalid username-password pair or user is disabled.") \
    X(AUTH_NOT_CONFIGURED, "ERR AUTH <password> called without any password configured for " \
      "the default user. Are you sure your configuration is correct?") \
    X(HELLO_NOAUTH, "NOAUTH HELLO must be called with the client already authenticated, " \
      "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client " \
      "and select the RESP protocol version at the same time") \
    X(CLIENT_NAME_CHARS, "ERR Client names cannot contain spaces, newlines or special " \
      "characters.") \
    X(CLIENT_ATTR_CHARS_FMT, "ERR %s cannot contain spaces, newlines or special characters.") \
    X(UNRECOGNIZED_OPTION_FMT, "ERR Unrecognized option '%s'") \
    X(UNKNOWN_CLIENT_TYPE_FMT, "ERR Unknown client type '%s'") \
    X(NO_SUCH_CLIENT, "ERR No such client") \
    X(NO_SUCH_USER_FMT, "ERR No such user '%s'") \
    X(CLIENT_ID_POSITIVE, "ERR client-id should be greater than 0") \
    X(INVALID_CLIENT_ID, "ERR Invalid client ID") \
    X(UNBLOCK_REASON, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR") \
    X(PAUSE_MODE, "ERR CLIENT PAUSE mode must be WRITE or ALL") \
    X(CLIENT_CACHING_MODE, "ERR CLIENT CACHING can be called only when the client is in " \
      "tracking mode with OPTIN or OPTOUT mode enabled") \
    /* ----- server commands */ \
    X(INVALID_COMMAND, "ERR Invalid command specified") \
    X(NO_KEY_ARGUMENTS, "ERR The command has no key arguments") \
    X(INVALID_ARGUMENT_COUNT, "ERR Invalid number of arguments specified for command") \
    X(INVALID_ARGUMENTS, "ERR Invalid arguments specified for command") \
    X(CONFIG_SET_UNKNOWN_FMT, "ERR Unknown option or number of arguments for CONFIG SET - '%s'") \
    X(CONFIG_SET_FAILED_FMT, "ERR CONFIG SET failed (possibly related to argument '%s')") \
    X(CONFIG_SET_FAILED_REASON_FMT, "ERR CONFIG SET failed (possibly related to argument " \
      "'%s') - %s") \
    X(SHUTDOWN_FAILED, "ERR Errors trying to SHUTDOWN. Check logs.") \
    X(NO_SHUTDOWN_IN_PROGRESS, "ERR No shutdown in progress.") \
    X(DEBUG_NOT_ALLOWED, "ERR DEBUG command not allowed. If the enable-debug-command option is " \
      "set to \"local\", you can run it from a local connection, otherwise you need to set " \
      "this option in the configuration file, and then restart the server.") \
    X(DEBUG_RELOAD_OPTIONS, "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE " \
      "options.") \
    X(SAVE_DB_FAILED, "ERR Error trying to save the DB") \
    X(LOAD_RDB_FAILED, "ERR Error trying to load the RDB dump") \
    /* ----- persistence commands */ \
    X(SAVE_FAILED, "ERR") \
    X(BGSAVE_IN_PROGRESS, "ERR Background save already in progress") \
    X(BGSAVE_CHILD_ACTIVE, "ERR Another child process is active (AOF?): can't BGSAVE right " \
      "now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.") \
    X(REWRITE_IN_PROGRESS, "ERR Background append only file rewriting already in progress") \
    X(REWRITE_FAILED, "ERR Can't execute an AOF background rewriting. Please check the server " \
      "logs for more information.")

/* C: each text as the constant ERR_<NAME>. */
#define FR_ERROR_CONSTANT(name, text) \
    static const char ERR_##name[] __attribute__((unused)) = text;
FASTRESP_ERRORS(FR_ERROR_CONSTANT)
#undef FR_ERROR_CONSTANT

/* Python: the table, NAME -> text, ending with a NULL name. */
typedef struct {
    const char *name;
    const char *text;
} fr_error;

#define FR_ERROR_ROW(name, text) {#name, text},
static const fr_error fr_errors[] __attribute__((unused)) = {
    FASTRESP_ERRORS(FR_ERROR_ROW)
    {NULL, NULL}
};
#undef FR_ERROR_ROW

#endif
