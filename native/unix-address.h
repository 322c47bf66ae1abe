#ifndef BERTH_UNIX_ADDRESS_H
#define BERTH_UNIX_ADDRESS_H

#include <sys/socket.h>
#include <sys/un.h>

/*
 * Fills `addr` for the socket at `path`. A path too long for sun_path (108 bytes; container
 * directories under a deep data root get there) is reached through its parent directory as
 * /proc/self/fd/<dirfd>/<basename> — the trick conmon itself uses to bind such sockets.
 * On success *dirfd is that directory's fd (or -1); the caller closes it after connect/bind.
 * Returns 0 or an errno value.
 */
int unix_address(const char *path, struct sockaddr_un *addr, socklen_t *len, int *dirfd);

/* close(2) without retrying on EINTR: Linux has released the fd by then, a retry could close another. */
void close_fd(int fd);

#endif
