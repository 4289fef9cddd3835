/* privdrop.c: initgroups/setgid/setuid privilege drop, verified afterwards. */
#include "misport/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int priv_drop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "-Z %s: no such user%s%s", user, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0) {
		snprintf(err, errlen, "-Z %s: initgroups: %s", user, strerror(errno));
		return -1;
	}
	if (setgid(pw->pw_gid) != 0) {
		snprintf(err, errlen, "-Z %s: setgid(%u): %s", user, (unsigned)pw->pw_gid, strerror(errno));
		return -1;
	}
	if (setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "-Z %s: setuid(%u): %s", user, (unsigned)pw->pw_uid, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		snprintf(err, errlen, "-Z %s: root privileges could be regained", user);
		return -1;
	}
	return 0;
}
