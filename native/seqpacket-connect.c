/*
 * Connecting a SOCK_SEQPACKET client. The socket is non-blocking from birth, so connect never
 * waits: on AF_UNIX it either completes at once or fails with EAGAIN when the listener's backlog
 * is full, which the TypeScript side retries after a pause instead of parking a thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "addon.h"
#include "napi-util.h"
#include "unix-address.h"

/* Returns 0 and the connected fd, or an errno value. */
static int connect_seqpacket(const char *path, int *out) {
  struct sockaddr_un addr;
  socklen_t len;
  int dirfd;
  int err = unix_address(path, &addr, &len, &dirfd);
  if (err) return err;

  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    close_fd(dirfd);
    return err;
  }
  int rc = connect(fd, (struct sockaddr *)&addr, len);
  /* An interrupted connect carries on in the kernel; asking again reports how it ended. */
  while (rc < 0 && errno == EINTR) {
    rc = connect(fd, (struct sockaddr *)&addr, len);
    if (rc < 0 && errno == EISCONN) rc = 0;
  }
  err = rc < 0 ? errno : 0;
  close_fd(dirfd);
  if (err) {
    close_fd(fd);
    return err;
  }
  *out = fd;
  return 0;
}

/* seqpacketConnect(path: string): number — the fd, owned by the caller. */
static napi_value js_seqpacket_connect(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path;
  if (!get_args(env, info, 1, argv, NULL) || !arg_string(env, argv[0], "path", &path)) return NULL;
  int fd = -1;
  int err = connect_seqpacket(path, &fd);
  if (err) {
    throw_sys_error(env, err, "connect", path, NULL);
    free(path);
    return NULL;
  }
  free(path);
  napi_value result;
  if (napi_create_int32(env, fd, &result) != napi_ok) {
    close_fd(fd);
    throw_last_napi_error(env);
    return NULL;
  }
  return result;
}

bool init_seqpacket_connect(napi_env env, napi_value exports, napi_value constants) {
  (void)constants;
  return set_function(env, exports, "seqpacketConnect", js_seqpacket_connect);
}
