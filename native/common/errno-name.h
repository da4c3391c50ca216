/* errno-name.h: shared by rkt-stage1 (error file) and the probe ("tries"). */
#ifndef RKT_ERRNO_NAME_H
#define RKT_ERRNO_NAME_H

/* The symbolic name of an errno value, or "EUNKNOWN". */
const char *errno_name(int err);

#endif
