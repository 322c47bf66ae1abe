/*
 * createFiles: many small new files of an image layer created in one threadpool job. Done one by
 * one through Node's fs, every file costs six threadpool round trips (open, write, fchown, fchmod,
 * futimens, close), each with its wakeups and its JavaScript callback; layers of tens of
 * thousands of small files then spend more time in that traffic than in the kernel.
 *
 * Each file is created with O_EXCL|O_NOFOLLOW (never through a symlink, never over an existing
 * name), written, chowned, then chmodded (chown clears setuid/setgid, so mode comes after), its
 * times set, and closed. The batch stops at the first failure, which rejects with a Node-style
 * SystemError naming the path and carrying `index`, the failed file's position in the batch.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addon.h"
#include "napi-util.h"

/* Per file in `meta`: data length, uid, gid, mode, atime, mtime (seconds, fractional). */
#define META_FIELDS 6

typedef struct create_request {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[3]; /* names, data, meta: kept alive while the threadpool reads them */
  const char *names;
  size_t names_len;
  const unsigned char *data;
  size_t data_len;
  const double *meta;
  size_t count;
  /* Results, written by execute. */
  size_t failed_index;
  const char *failed_syscall;
  const char *failed_path;
  int err;
} create_request;

static struct timespec to_timespec(double seconds) {
  struct timespec ts;
  double whole = floor(seconds);
  ts.tv_sec = (time_t)whole;
  ts.tv_nsec = (long)((seconds - whole) * 1e9);
  if (ts.tv_nsec < 0) ts.tv_nsec = 0;
  if (ts.tv_nsec > 999999999) ts.tv_nsec = 999999999;
  return ts;
}

static int write_all(int fd, const unsigned char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Creates one file; on failure returns the errno and sets *syscall. */
static int create_one(const char *path, const unsigned char *data, const double *m, const char **syscall) {
  int fd;
  *syscall = "open";
  do fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  int err = 0;
  struct timespec times[2] = {to_timespec(m[4]), to_timespec(m[5])};
  if (write_all(fd, data, (size_t)m[0]) < 0) *syscall = "write", err = errno;
  else if (fchown(fd, (uid_t)m[1], (gid_t)m[2]) < 0) *syscall = "fchown", err = errno;
  else if (fchmod(fd, (mode_t)m[3]) < 0) *syscall = "fchmod", err = errno;
  else if (futimens(fd, times) < 0) *syscall = "futimens", err = errno;
  /* A failed close of a local file loses nothing already written; only an earlier error counts. */
  close(fd);
  return err;
}

/* Runs on a threadpool thread: no napi calls here. */
static void execute(napi_env env, void *data) {
  (void)env;
  create_request *r = data;
  const char *name = r->names;
  size_t offset = 0;
  for (size_t i = 0; i < r->count; i++) {
    const double *m = r->meta + i * META_FIELDS;
    const char *syscall;
    int err = create_one(name, r->data + offset, m, &syscall);
    if (err) {
      r->err = err;
      r->failed_index = i;
      r->failed_syscall = syscall;
      r->failed_path = name;
      return;
    }
    offset += (size_t)m[0];
    name += strlen(name) + 1;
  }
}

static void release(napi_env env, create_request *r) {
  for (int i = 0; i < 3; i++)
    if (r->refs[i]) napi_delete_reference(env, r->refs[i]);
  free(r);
}

static void complete(napi_env env, napi_status status, void *data) {
  create_request *r = data;
  napi_value value = NULL, index;
  if (status != napi_ok && !r->err) r->err = ECANCELED, r->failed_syscall = "createFiles", r->failed_path = NULL;
  if (r->err) {
    value = sys_error(env, r->err, r->failed_syscall, r->failed_path, NULL);
    if (value && napi_create_int64(env, (int64_t)r->failed_index, &index) == napi_ok) napi_set_named_property(env, value, "index", index);
    if (value) napi_reject_deferred(env, r->deferred, value);
  } else if (napi_get_undefined(env, &value) == napi_ok) {
    napi_resolve_deferred(env, r->deferred, value);
  }
  napi_delete_async_work(env, r->work);
  release(env, r);
}

static bool throw_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", message);
  return false;
}

/*
 * Checks that `names` holds exactly `count` NUL-terminated, non-empty paths, that `meta` has
 * META_FIELDS numbers per file in range, and that the data lengths add up to `data_len`.
 */
static bool validate(napi_env env, create_request *r) {
  size_t offset = 0, total = 0;
  for (size_t i = 0; i < r->count; i++) {
    const char *end = memchr(r->names + offset, '\0', r->names_len - offset);
    if (!end || end == r->names + offset) return throw_type_error(env, "names must hold one non-empty, NUL-terminated path per file");
    offset = (size_t)(end - r->names) + 1;
    if (offset > r->names_len) return throw_type_error(env, "names is too short");
    const double *m = r->meta + i * META_FIELDS;
    for (int f = 0; f < 4; f++)
      if (!(m[f] >= 0 && m[f] <= (f == 0 ? (double)SIZE_MAX : (double)UINT32_MAX)) || m[f] != floor(m[f]))
        return throw_type_error(env, "meta holds a length, uid, gid or mode that is not a valid integer");
    if (!isfinite(m[4]) || !isfinite(m[5])) return throw_type_error(env, "meta holds a time that is not finite");
    total += (size_t)m[0];
  }
  if (offset != r->names_len) return throw_type_error(env, "names holds more paths than meta describes");
  if (total != r->data_len) return throw_type_error(env, "the data lengths in meta do not add up to the data buffer's length");
  return true;
}

/* createFiles(names: Buffer, data: Buffer, meta: Float64Array): Promise<void> */
static napi_value js_create_files(napi_env env, napi_callback_info info) {
  napi_value argv[3], promise, name;
  void *names, *bytes;
  size_t names_len, data_len;
  if (!get_args(env, info, 3, argv, NULL) || !arg_buffer(env, argv[0], "names", &names, &names_len) ||
      !arg_buffer(env, argv[1], "data", &bytes, &data_len))
    return NULL;
  bool is_typed;
  napi_typedarray_type type;
  size_t meta_len;
  void *meta;
  NAPI_CALL(env, napi_is_typedarray(env, argv[2], &is_typed));
  if (is_typed) NAPI_CALL(env, napi_get_typedarray_info(env, argv[2], &type, &meta_len, &meta, NULL, NULL));
  if (!is_typed || type != napi_float64_array || meta_len % META_FIELDS != 0) {
    throw_type_error(env, "meta must be a Float64Array with 6 numbers per file");
    return NULL;
  }
  create_request *r = calloc(1, sizeof *r);
  if (!r) {
    throw_sys_error(env, ENOMEM, "createFiles", NULL, NULL);
    return NULL;
  }
  r->names = names;
  r->names_len = names_len;
  r->data = bytes;
  r->data_len = data_len;
  r->meta = meta;
  r->count = meta_len / META_FIELDS;
  if (!validate(env, r)) {
    free(r);
    return NULL;
  }
  for (int i = 0; i < 3; i++) {
    if (napi_create_reference(env, argv[i], 1, &r->refs[i]) != napi_ok) {
      release(env, r);
      throw_last_napi_error(env);
      return NULL;
    }
  }
  if (napi_create_string_utf8(env, "BerthCreateFiles", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, r, &r->work) != napi_ok) {
    release(env, r);
    throw_last_napi_error(env);
    return NULL;
  }
  if (napi_create_promise(env, &r->deferred, &promise) != napi_ok || napi_queue_async_work(env, r->work) != napi_ok) {
    napi_delete_async_work(env, r->work);
    release(env, r);
    throw_last_napi_error(env);
    return NULL;
  }
  return promise;
}

bool init_create_files(napi_env env, napi_value exports, napi_value constants) {
  (void)constants;
  return set_function(env, exports, "createFiles", js_create_files);
}
