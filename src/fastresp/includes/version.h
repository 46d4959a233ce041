/* The Redis release whose behaviour pyredis reproduces: the one place it is written.
 * C code (RDB's redis-ver field, later scripting's REDIS_VERSION) uses these macros; Python
 * gets them from fastresp.util (pyredis.REDIS_VERSION). */
#ifndef FASTRESP_VERSION_H
#define FASTRESP_VERSION_H

#define REDIS_VERSION "7.0.15"
#define REDIS_VERSION_NUM 0x0007000f   /* 0x00MMmmpp, as Redis's REDIS_VERSION_NUM */

#endif
