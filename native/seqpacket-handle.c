/*
 * A connected SOCK_SEQPACKET fd driven by the event loop. JavaScript owns the stream logic
 * (backpressure, splitting writes, half-close); this file owns the fd and the uv_poll_t watching
 * it, and makes closing safe whatever JavaScript does:
 *
 * - the fd is closed only in the uv_close callback, once libuv has let go of the watcher, and
 *   exactly once (an fd closed under a live watcher is what made node-unix-socket abort);
 * - the struct lives until both the watcher is closed and the JS handle is collected, so a late
 *   call on a closed handle finds `closing` set instead of freed memory;
 * - an environment that shuts down (worker exit, process exit) closes the sockets left open
 *   through an async cleanup hook, so Node never finds a live handle on a loop it closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <uv.h>

#include "addon.h"
#include "napi-util.h"
#include "unix-address.h"

typedef struct seqsock {
  napi_env env;
  int fd;
  uv_poll_t poll;
  /* What the watcher is started for (UV_READABLE | UV_WRITABLE); 0 when stopped. */
  int events;
  /* onEvent(status, events). Strong only while the watcher runs: a socket that is being read
   * must not be collected, an idle one that JavaScript dropped must be. */
  napi_ref on_event;
  bool on_event_strong;
  /* Called once the fd is closed, if close() was given a callback. */
  napi_ref on_close;
  napi_async_context async_context;
  napi_async_cleanup_hook_handle cleanup_hook;
  bool closing;      /* uv_close has been called */
  bool closed;       /* the uv_close callback has run: fd closed, references released */
  bool finalized;    /* the JS handle has been collected */
  bool tearing_down; /* the environment is going away: never call into JavaScript */
} seqsock;

/* Marks handles as ours, so a foreign external passed in by mistake is refused, not misread. */
static const napi_type_tag SEQSOCK_TAG = {0x6265727468736571ULL, 0x7061636b65743031ULL};

static void on_closed(uv_handle_t *handle);

static void begin_close(seqsock *s) {
  s->closing = true;
  s->events = 0;
  /* uv_close stops an active watcher itself. */
  uv_close((uv_handle_t *)&s->poll, on_closed);
}

static void set_on_event_strong(seqsock *s, bool strong) {
  if (!s->on_event || s->on_event_strong == strong) return;
  uint32_t count;
  if (strong) napi_reference_ref(s->env, s->on_event, &count);
  else napi_reference_unref(s->env, s->on_event, &count);
  s->on_event_strong = strong;
}

static void on_closed(uv_handle_t *handle) {
  seqsock *s = handle->data;
  napi_env env = s->env;
  close_fd(s->fd);
  s->fd = -1;

  if (s->on_close && !s->tearing_down) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      napi_value fn;
      if (napi_get_reference_value(env, s->on_close, &fn) == napi_ok && fn) call_from_uv(env, s->async_context, fn, 0, NULL);
      napi_close_handle_scope(env, scope);
    }
  }
  /* The callback above may have let the JS handle be collected; `finalized` is rechecked below,
   * and the finalizer leaves freeing to us until `closed` is set. */
  if (s->on_close) napi_delete_reference(env, s->on_close);
  if (s->on_event) napi_delete_reference(env, s->on_event);
  s->on_close = s->on_event = NULL;
  napi_async_destroy(env, s->async_context);
  s->async_context = NULL;

  napi_async_cleanup_hook_handle hook = s->cleanup_hook;
  s->cleanup_hook = NULL;
  s->closed = true;
  if (s->finalized) free(s);
  /* Last: removing the hook may let a waiting environment teardown finish. */
  if (hook) napi_remove_async_cleanup_hook(hook);
}

static void on_env_teardown(napi_async_cleanup_hook_handle hook, void *data) {
  (void)hook; /* removed in on_closed, whichever way the close began */
  seqsock *s = data;
  s->tearing_down = true;
  if (!s->closing) begin_close(s);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  seqsock *s = data;
  s->finalized = true;
  if (!s->closing) begin_close(s);
  else if (s->closed) free(s);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  seqsock *s = handle->data;
  if (s->closing) return;
  if (status < 0) {
    /* libuv stopped the watcher. Its EBADF usually stands for a socket error (ECONNRESET when
     * the peer closed with our packets unread); SO_ERROR names it and clears it, so a restarted
     * watcher does not spin on the same error. */
    s->events = 0;
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error) status = -so_error;
  }
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, argv[2];
  if (napi_get_reference_value(env, s->on_event, &fn) == napi_ok && fn &&
      napi_create_int32(env, status, &argv[0]) == napi_ok && napi_create_int32(env, events, &argv[1]) == napi_ok) {
    if (s->events == 0) set_on_event_strong(s, false);
    call_from_uv(env, s->async_context, fn, 2, argv);
  }
  napi_close_handle_scope(env, scope);
}

/* The open handle in `v`, or NULL with an exception pending. */
static seqsock *get_socket(napi_env env, napi_value v, const char *syscall) {
  bool ours = false;
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_external ||
      napi_check_object_type_tag(env, v, &SEQSOCK_TAG, &ours) != napi_ok || !ours ||
      napi_get_value_external(env, v, &data) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "The \"handle\" argument must be a seqpacket socket handle");
    return NULL;
  }
  seqsock *s = data;
  if (s->closing) {
    throw_sys_error(env, EBADF, syscall, NULL, NULL);
    return NULL;
  }
  return s;
}

static void free_unstarted(napi_env env, seqsock *s) {
  if (s->on_event) napi_delete_reference(env, s->on_event);
  if (s->async_context) napi_async_destroy(env, s->async_context);
  close_fd(s->fd);
  free(s);
}

/* socketOpen(fd, onEvent): handle. Takes ownership of fd, also when it throws after the checks. */
static napi_value js_socket_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t fd;
  if (!get_args(env, info, 2, argv, NULL) || !arg_int64(env, argv[0], "fd", 0, INT_MAX, &fd) ||
      !arg_function(env, argv[1], "onEvent"))
    return NULL;

  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET) {
    int err = type && type != SOCK_SEQPACKET ? EPROTOTYPE : errno;
    close_fd((int)fd);
    throw_sys_error(env, err, "getsockopt", NULL, NULL);
    return NULL;
  }
  int fd_flags = fcntl((int)fd, F_GETFD);
  if (fd_flags >= 0 && !(fd_flags & FD_CLOEXEC)) fcntl((int)fd, F_SETFD, fd_flags | FD_CLOEXEC);

  seqsock *s = calloc(1, sizeof *s);
  if (!s) {
    close_fd((int)fd);
    throw_sys_error(env, ENOMEM, "socketOpen", NULL, NULL);
    return NULL;
  }
  s->env = env;
  s->fd = (int)fd;
  s->poll.data = s;

  napi_value resource, name;
  uv_loop_t *loop;
  if (napi_create_reference(env, argv[1], 0, &s->on_event) != napi_ok || napi_create_object(env, &resource) != napi_ok ||
      napi_create_string_utf8(env, "BerthSeqpacketSocket", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, resource, name, &s->async_context) != napi_ok || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free_unstarted(env, s);
    throw_last_napi_error(env);
    return NULL;
  }
  int rc = uv_poll_init(loop, &s->poll, s->fd);
  if (rc < 0) {
    free_unstarted(env, s);
    throw_sys_error(env, -rc, "uv_poll_init", NULL, NULL);
    return NULL;
  }
  /* From here the watcher exists, so every failure goes through uv_close. */
  if (napi_add_async_cleanup_hook(env, on_env_teardown, s, &s->cleanup_hook) != napi_ok) {
    s->finalized = true; /* no JS handle will ever exist to be collected */
    begin_close(s);
    throw_last_napi_error(env);
    return NULL;
  }
  napi_value handle;
  if (napi_create_external(env, s, on_finalize, NULL, &handle) != napi_ok) {
    s->finalized = true;
    begin_close(s);
    throw_last_napi_error(env);
    return NULL;
  }
  if (napi_type_tag_object(env, handle, &SEQSOCK_TAG) != napi_ok) {
    begin_close(s); /* the finalizer frees once the handle is collected */
    throw_last_napi_error(env);
    return NULL;
  }
  return handle;
}

/* socketPoll(handle, events): watch for UV_READABLE and/or UV_WRITABLE; 0 stops watching. */
static napi_value js_socket_poll(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t events;
  if (!get_args(env, info, 2, argv, NULL)) return NULL;
  seqsock *s = get_socket(env, argv[0], "poll");
  if (!s || !arg_int64(env, argv[1], "events", 0, UV_READABLE | UV_WRITABLE, &events)) return NULL;
  if ((int)events == s->events) return NULL;
  if (events == 0) {
    uv_poll_stop(&s->poll);
    s->events = 0;
    set_on_event_strong(s, false);
    return NULL;
  }
  int rc = uv_poll_start(&s->poll, (int)events, on_poll);
  if (rc < 0) {
    throw_sys_error(env, -rc, "uv_poll_start", NULL, NULL);
    return NULL;
  }
  s->events = (int)events;
  set_on_event_strong(s, true);
  return NULL;
}

/*
 * socketRecv(handle): Buffer | null. One packet per call; null when none is waiting; an empty
 * Buffer at end of stream. MSG_TRUNC makes the kernel report a packet's full length, so one that
 * did not fit is an error rather than silently cut.
 */
static napi_value js_socket_recv(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv, NULL)) return NULL;
  seqsock *s = get_socket(env, argv[0], "recv");
  addon_state *state = NULL;
  if (!s) return NULL;
  if (napi_get_instance_data(env, (void **)&state) != napi_ok || !state) {
    throw_last_napi_error(env);
    return NULL;
  }
  ssize_t n;
  do n = recv(s->fd, state->recv_buffer, RECV_BUFFER_SIZE, MSG_DONTWAIT | MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  napi_value result;
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      NAPI_CALL(env, napi_get_null(env, &result));
      return result;
    }
    throw_sys_error(env, errno, "recv", NULL, NULL);
    return NULL;
  }
  if (n > RECV_BUFFER_SIZE) {
    throw_sys_error(env, EMSGSIZE, "recv", NULL, NULL);
    return NULL;
  }
  NAPI_CALL(env, napi_create_buffer_copy(env, (size_t)n, state->recv_buffer, NULL, &result));
  return result;
}

/* socketSend(handle, buffer, offset, length): bytes sent as one packet, or -1 if it would block. */
static napi_value js_socket_send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  void *data;
  size_t size;
  int64_t offset, length;
  if (!get_args(env, info, 4, argv, NULL)) return NULL;
  seqsock *s = get_socket(env, argv[0], "send");
  if (!s || !arg_buffer(env, argv[1], "buffer", &data, &size) || !arg_int64(env, argv[2], "offset", 0, (int64_t)size, &offset) ||
      !arg_int64(env, argv[3], "length", 0, (int64_t)size - offset, &length))
    return NULL;
  ssize_t n;
  /* MSG_NOSIGNAL: a vanished peer is an EPIPE for this stream, not a SIGPIPE for the daemon. */
  do n = send(s->fd, (char *)data + offset, (size_t)length, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
    throw_sys_error(env, errno, "send", NULL, NULL);
    return NULL;
  }
  napi_value result;
  NAPI_CALL(env, napi_create_int64(env, n < 0 ? -1 : (int64_t)n, &result));
  return result;
}

/* socketShutdown(handle, how) */
static napi_value js_socket_shutdown(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t how;
  if (!get_args(env, info, 2, argv, NULL)) return NULL;
  seqsock *s = get_socket(env, argv[0], "shutdown");
  if (!s || !arg_int64(env, argv[1], "how", SHUT_RD, SHUT_RDWR, &how)) return NULL;
  if (shutdown(s->fd, (int)how) < 0) throw_sys_error(env, errno, "shutdown", NULL, NULL);
  return NULL;
}

/*
 * socketClose(handle, onClose?): boolean. Starts closing; onClose runs once the fd is closed.
 * Later calls do nothing and return false, so any number of closes is safe.
 */
static napi_value js_socket_close(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = 2;
  void *data = NULL;
  bool ours = false;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external ||
      napi_check_object_type_tag(env, argv[0], &SEQSOCK_TAG, &ours) != napi_ok || !ours ||
      napi_get_value_external(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "The \"handle\" argument must be a seqpacket socket handle");
    return NULL;
  }
  bool has_callback = false;
  if (argc >= 2 && napi_typeof(env, argv[1], &type) == napi_ok && type != napi_undefined && type != napi_null) {
    if (!arg_function(env, argv[1], "onClose")) return NULL;
    has_callback = true;
  }
  seqsock *s = data;
  napi_value result;
  if (s->closing) {
    NAPI_CALL(env, napi_get_boolean(env, false, &result));
    return result;
  }
  if (has_callback) NAPI_CALL(env, napi_create_reference(env, argv[1], 1, &s->on_close));
  set_on_event_strong(s, false);
  begin_close(s);
  NAPI_CALL(env, napi_get_boolean(env, true, &result));
  return result;
}

bool init_seqpacket_handle(napi_env env, napi_value exports, napi_value constants) {
  return set_function(env, exports, "socketOpen", js_socket_open) && set_function(env, exports, "socketPoll", js_socket_poll) &&
         set_function(env, exports, "socketRecv", js_socket_recv) && set_function(env, exports, "socketSend", js_socket_send) &&
         set_function(env, exports, "socketShutdown", js_socket_shutdown) &&
         set_function(env, exports, "socketClose", js_socket_close) && set_int_property(env, constants, "UV_READABLE", UV_READABLE) &&
         set_int_property(env, constants, "UV_WRITABLE", UV_WRITABLE) && set_int_property(env, constants, "SHUT_RD", SHUT_RD) &&
         set_int_property(env, constants, "SHUT_WR", SHUT_WR) && set_int_property(env, constants, "SHUT_RDWR", SHUT_RDWR) &&
         set_int_property(env, constants, "RECV_BUFFER_SIZE", RECV_BUFFER_SIZE);
}
