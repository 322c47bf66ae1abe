#include "unix-address.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void close_fd(int fd) {
  if (fd >= 0) close(fd);
}

int unix_address(const char *path, struct sockaddr_un *addr, socklen_t *len, int *dirfd) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  *dirfd = -1;

  size_t n = strlen(path);
  if (n == 0) return ENOENT;
  if (n < sizeof addr->sun_path) {
    memcpy(addr->sun_path, path, n + 1);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
  }

  const char *slash = strrchr(path, '/');
  if (!slash) return ENAMETOOLONG;
  const char *base = slash + 1;
  if (*base == '\0') return ENOTDIR;

  size_t dir_len = slash == path ? 1 : (size_t)(slash - path);
  char *dir = strndup(path, dir_len);
  if (!dir) return ENOMEM;
  int fd;
  do fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  int open_err = errno;
  free(dir);
  if (fd < 0) return open_err;

  int m = snprintf(addr->sun_path, sizeof addr->sun_path, "/proc/self/fd/%d/%s", fd, base);
  if (m < 0 || (size_t)m >= sizeof addr->sun_path) {
    close_fd(fd);
    return ENAMETOOLONG;
  }
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)m + 1);
  *dirfd = fd;
  return 0;
}
