/*
 * The server half of SOCK_SEQPACKET, for tests only (Berth itself only connects, to conmon).
 * Node cannot listen on such a socket either, so the tests of the client need these.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "addon.h"
#include "napi-util.h"
#include "unix-address.h"

/* testSeqpacketListen(path, backlog): number — a listening fd; long paths bind like conmon's. */
static napi_value js_listen(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  int64_t backlog;
  char *path;
  if (!get_args(env, info, 2, argv, NULL) || !arg_int64(env, argv[1], "backlog", 0, INT_MAX, &backlog) ||
      !arg_string(env, argv[0], "path", &path))
    return NULL;
  struct sockaddr_un addr;
  socklen_t len;
  int dirfd = -1, fd = -1;
  const char *syscall = "bind";
  int err = unix_address(path, &addr, &len, &dirfd);
  if (!err) {
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) syscall = "socket";
    else if (bind(fd, (struct sockaddr *)&addr, len) < 0) syscall = "bind";
    else if (listen(fd, (int)backlog) < 0) syscall = "listen";
    else syscall = NULL;
    if (syscall) err = errno;
  }
  close_fd(dirfd);
  if (err) {
    close_fd(fd);
    throw_sys_error(env, err, syscall ? syscall : "bind", path, NULL);
    free(path);
    return NULL;
  }
  free(path);
  NAPI_CALL(env, napi_create_int32(env, fd, &result));
  return result;
}

typedef struct accept_request {
  napi_async_work work;
  napi_deferred deferred;
  int listen_fd;
  int timeout_ms;
  int fd;
  int err;
} accept_request;

/* Threadpool: waits at most timeout_ms, so a test whose client never connects cannot hang the
 * process on a blocked thread. */
static void accept_execute(napi_env env, void *data) {
  (void)env;
  accept_request *r = data;
  struct pollfd p = {.fd = r->listen_fd, .events = POLLIN};
  int rc;
  do rc = poll(&p, 1, r->timeout_ms);
  while (rc < 0 && errno == EINTR);
  if (rc == 0) {
    r->err = ETIMEDOUT;
    return;
  }
  do r->fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  while (r->fd < 0 && errno == EINTR);
  r->err = r->fd < 0 ? errno : 0;
}

static void accept_complete(napi_env env, napi_status status, void *data) {
  accept_request *r = data;
  napi_value value = NULL;
  if (status != napi_ok && !r->err) r->err = ECANCELED;
  if (r->err) {
    value = sys_error(env, r->err, "accept", NULL, NULL);
    if (value) napi_reject_deferred(env, r->deferred, value);
  } else if (napi_create_int32(env, r->fd, &value) == napi_ok) {
    napi_resolve_deferred(env, r->deferred, value);
  } else {
    close_fd(r->fd);
  }
  napi_delete_async_work(env, r->work);
  free(r);
}

/* testSeqpacketAccept(listenFd, timeoutMs): Promise<number> */
static napi_value js_accept(napi_env env, napi_callback_info info) {
  napi_value argv[2], name, promise;
  int64_t listen_fd, timeout_ms;
  if (!get_args(env, info, 2, argv, NULL) || !arg_int64(env, argv[0], "fd", 0, INT_MAX, &listen_fd) ||
      !arg_int64(env, argv[1], "timeoutMs", 0, INT_MAX, &timeout_ms))
    return NULL;
  accept_request *r = calloc(1, sizeof *r);
  if (!r) {
    throw_sys_error(env, ENOMEM, "accept", NULL, NULL);
    return NULL;
  }
  r->listen_fd = (int)listen_fd;
  r->timeout_ms = (int)timeout_ms;
  r->fd = -1;
  if (napi_create_string_utf8(env, "BerthTestAccept", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, accept_execute, accept_complete, r, &r->work) != napi_ok) {
    free(r);
    throw_last_napi_error(env);
    return NULL;
  }
  if (napi_create_promise(env, &r->deferred, &promise) != napi_ok || napi_queue_async_work(env, r->work) != napi_ok) {
    napi_delete_async_work(env, r->work);
    free(r);
    throw_last_napi_error(env);
    return NULL;
  }
  return promise;
}

/* testSeqpacketPair(): [number, number] — a connected pair, both ends non-blocking. */
static napi_value js_pair(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) {
    throw_sys_error(env, errno, "socketpair", NULL, NULL);
    return NULL;
  }
  napi_value result, a, b;
  if (napi_create_array_with_length(env, 2, &result) != napi_ok || napi_create_int32(env, fds[0], &a) != napi_ok ||
      napi_create_int32(env, fds[1], &b) != napi_ok || napi_set_element(env, result, 0, a) != napi_ok ||
      napi_set_element(env, result, 1, b) != napi_ok) {
    close_fd(fds[0]);
    close_fd(fds[1]);
    throw_last_napi_error(env);
    return NULL;
  }
  return result;
}

bool init_test_support(napi_env env, napi_value exports, napi_value constants) {
  (void)constants;
  return set_function(env, exports, "testSeqpacketListen", js_listen) && set_function(env, exports, "testSeqpacketAccept", js_accept) &&
         set_function(env, exports, "testSeqpacketPair", js_pair);
}
