/* privdrop.h: dropping root privileges after the capture devices are open (tcpdump's -Z). */
#ifndef MISPORT_PRIVDROP_H
#define MISPORT_PRIVDROP_H

#include <stddef.h>

/* Switches the process to user's uid, primary gid and supplementary groups, in the order
 * initgroups, setgid, setuid, and checks that root cannot be regained. Returns 0, or -1 with err
 * filled. */
int priv_drop(const char *user, char *err, size_t errlen);

#endif
