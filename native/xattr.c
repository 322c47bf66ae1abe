/*
 * Extended attributes, never following symlinks: layers carry trusted.overlay.opaque and
 * security.capability, and a symlink in a layer must not redirect a write onto the host.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "addon.h"
#include "napi-util.h"

/* lsetxattr(path, name, value: Buffer) */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  void *value;
  size_t size;
  char *path = NULL, *name = NULL;
  if (!get_args(env, info, 3, argv, NULL) || !arg_buffer(env, argv[2], "value", &value, &size) ||
      !arg_string(env, argv[0], "path", &path) || !arg_string(env, argv[1], "name", &name)) {
    free(path);
    return NULL;
  }
  int rc;
  do rc = lsetxattr(path, name, value, size, 0);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) throw_sys_error(env, errno, "lsetxattr", path, NULL);
  free(path);
  free(name);
  return NULL;
}

/*
 * Reads with the size probe-then-fetch loop: the value can grow between the two calls, which
 * shows as ERANGE and means probing again.
 */
static ssize_t read_sized(const char *path, const char *name, char **out) {
  *out = NULL;
  for (;;) {
    ssize_t size;
    do size = name ? lgetxattr(path, name, NULL, 0) : llistxattr(path, NULL, 0);
    while (size < 0 && errno == EINTR);
    if (size <= 0) return size;
    char *buf = malloc((size_t)size);
    if (!buf) {
      errno = ENOMEM;
      return -1;
    }
    ssize_t n;
    do n = name ? lgetxattr(path, name, buf, (size_t)size) : llistxattr(path, buf, (size_t)size);
    while (n < 0 && errno == EINTR);
    if (n >= 0) {
      *out = buf;
      return n;
    }
    int err = errno;
    free(buf);
    if (err != ERANGE) {
      errno = err;
      return -1;
    }
  }
}

/* lgetxattr(path, name): Buffer, or null when the attribute is absent (ENODATA). */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[2], result = NULL;
  char *path = NULL, *name = NULL, *buf = NULL;
  if (!get_args(env, info, 2, argv, NULL) || !arg_string(env, argv[0], "path", &path) || !arg_string(env, argv[1], "name", &name)) {
    free(path);
    return NULL;
  }
  ssize_t n = read_sized(path, name, &buf);
  if (n < 0 && errno == ENODATA) napi_get_null(env, &result);
  else if (n < 0) throw_sys_error(env, errno, "lgetxattr", path, NULL);
  else if (napi_create_buffer_copy(env, (size_t)n, buf ? buf : "", NULL, &result) != napi_ok) throw_last_napi_error(env);
  free(buf);
  free(path);
  free(name);
  return result;
}

/* llistxattr(path): string[] — every name the caller may see, in the kernel's order. */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  napi_value argv[1], result = NULL;
  char *path = NULL, *buf = NULL;
  if (!get_args(env, info, 1, argv, NULL) || !arg_string(env, argv[0], "path", &path)) return NULL;
  ssize_t n = read_sized(path, NULL, &buf);
  if (n < 0) {
    throw_sys_error(env, errno, "llistxattr", path, NULL);
  } else if (napi_create_array(env, &result) == napi_ok) {
    uint32_t index = 0;
    /* The list is NUL-terminated names back to back. */
    for (ssize_t off = 0; off < n && result;) {
      size_t len = strnlen(buf + off, (size_t)(n - off));
      napi_value item;
      if (len > 0 && (napi_create_string_utf8(env, buf + off, len, &item) != napi_ok ||
                      napi_set_element(env, result, index++, item) != napi_ok)) {
        throw_last_napi_error(env);
        result = NULL;
      }
      off += (ssize_t)len + 1;
    }
  } else {
    throw_last_napi_error(env);
  }
  free(buf);
  free(path);
  return result;
}

bool init_xattr(napi_env env, napi_value exports, napi_value constants) {
  (void)constants;
  return set_function(env, exports, "lsetxattr", js_lsetxattr) && set_function(env, exports, "lgetxattr", js_lgetxattr) &&
         set_function(env, exports, "llistxattr", js_llistxattr);
}
