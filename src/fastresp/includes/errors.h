/* Error replies of the Cython hot path, worded byte for byte as Redis 7.0 words them
 * (without the leading '-' and the trailing CRLF). pyredis/errors.py re-exports every one
 * of these to the Python layer through fastresp.errors, so each text exists once. */
#ifndef FASTRESP_ERRORS_H
#define FASTRESP_ERRORS_H

#define ERR_SYNTAX "ERR syntax error"
#define ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_NOT_INTEGER "ERR value is not an integer or out of range"
#define ERR_NOT_FLOAT "ERR value is not a valid float"
#define ERR_OVERFLOW "ERR increment or decrement would overflow"
#define ERR_DECR_OVERFLOW "ERR decrement would overflow"
#define ERR_NAN_OR_INF "ERR increment would produce NaN or Infinity"
#define ERR_NO_SUCH_KEY "ERR no such key"
#define ERR_DB_INDEX "ERR DB index is out of range"
#define ERR_INVALID_DB_INDEX "ERR invalid DB index"
#define ERR_SAME_OBJECT "ERR source and destination objects are the same"
#define ERR_STRING_TOO_LONG "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
#define ERR_OFFSET_RANGE "ERR offset is out of range"
#define ERR_INVALID_CURSOR "ERR invalid cursor"
#define ERR_NOAUTH "NOAUTH Authentication required."
#define ERR_NX_XX_GT_LT "ERR NX and XX, GT or LT options at the same time are not compatible"
#define ERR_GT_AND_LT "ERR GT and LT options at the same time are not compatible"
#define ERR_GT_LT_NX "ERR GT, LT, and/or NX options at the same time are not compatible"
#define ERR_UNKNOWN_COMMAND_FMT "ERR unknown command '%.*s', with args beginning with: %s"
#define ERR_UNKNOWN_SUBCOMMAND_FMT "ERR unknown subcommand '%.*s'. Try %s HELP."
#define ERR_ARITY_FMT "ERR wrong number of arguments for '%s' command"
#define ERR_EXPIRE_TIME_FMT "ERR invalid expire time in '%s' command"
#define ERR_INT_RANGE "ERR value is out of range, value must between -2147483648 and 2147483647"
#define ERR_UNSUPPORTED_OPTION_FMT "ERR Unsupported option %.*s"
#define ERR_LCS_NOT_STRING "ERR The specified keys must contain string values"
#define ERR_LCS_IDX_AND_LEN "ERR If you want both the length and indexes, please just use IDX."
#define ERR_LCS_TOO_LONG "ERR String too long for LCS"
#define ERR_LCS_NOMEM "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
#define ERR_INVALID_FIRST_DB "ERR invalid first DB index"
#define ERR_INVALID_SECOND_DB "ERR invalid second DB index"
#define ERR_MAX_CLIENTS "ERR max number of clients reached"

/* Protocol errors: the connection is closed after the reply. */
#define ERR_PROTO_MBULK_LEN "ERR Protocol error: invalid multibulk length"
#define ERR_PROTO_BULK_LEN "ERR Protocol error: invalid bulk length"
#define ERR_PROTO_UNBALANCED "ERR Protocol error: unbalanced quotes in request"
#define ERR_PROTO_BIG_INLINE "ERR Protocol error: too big inline request"
#define ERR_PROTO_BIG_MBULK "ERR Protocol error: too big mbulk count string"
#define ERR_PROTO_BIG_BULK "ERR Protocol error: too big bulk count string"
#define ERR_PROTO_EXPECTED_DOLLAR_FMT "ERR Protocol error: expected '$', got '%c'"
#define ERR_PROTO_UNAUTH_MBULK "ERR Protocol error: unauthenticated multibulk length"
#define ERR_PROTO_UNAUTH_BULK "ERR Protocol error: unauthenticated bulk length"

#endif
