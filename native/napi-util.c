#include "napi-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

void throw_last_napi_error(napi_env env) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  const napi_extended_error_info *info = NULL;
  const char *msg = "N-API call failed";
  if (napi_get_last_error_info(env, &info) == napi_ok && info && info->error_message) msg = info->error_message;
  napi_throw_error(env, "ERR_BERTH_NATIVE", msg);
}

static void throw_type_error(napi_env env, const char *code, const char *fmt, const char *name) {
  char msg[160];
  snprintf(msg, sizeof msg, fmt, name);
  napi_throw_type_error(env, code, msg);
}

bool get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, napi_value *self) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, self, NULL) != napi_ok) {
    throw_last_napi_error(env);
    return false;
  }
  if (argc < n) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "Missing arguments");
    return false;
  }
  return true;
}

static bool value_is(napi_env env, napi_value v, napi_valuetype want) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == want;
}

bool arg_string(napi_env env, napi_value v, const char *name, char **out) {
  *out = NULL;
  if (!value_is(env, v, napi_string)) {
    throw_type_error(env, "ERR_INVALID_ARG_TYPE", "The \"%s\" argument must be of type string", name);
    return false;
  }
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    throw_last_napi_error(env);
    return false;
  }
  char *buf = malloc(len + 1);
  if (!buf) {
    napi_throw_error(env, "ENOMEM", "Cannot allocate memory");
    return false;
  }
  if (napi_get_value_string_utf8(env, v, buf, len + 1, &len) != napi_ok) {
    free(buf);
    throw_last_napi_error(env);
    return false;
  }
  if (strlen(buf) != len) {
    free(buf);
    throw_type_error(env, "ERR_INVALID_ARG_VALUE", "The \"%s\" argument must not contain null bytes", name);
    return false;
  }
  *out = buf;
  return true;
}

bool arg_string_or_null(napi_env env, napi_value v, const char *name, char **out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) {
    throw_last_napi_error(env);
    return false;
  }
  if (t == napi_null || t == napi_undefined) {
    *out = NULL;
    return true;
  }
  return arg_string(env, v, name, out);
}

bool arg_int64(napi_env env, napi_value v, const char *name, int64_t min, int64_t max, int64_t *out) {
  double d;
  if (!value_is(env, v, napi_number) || napi_get_value_double(env, v, &d) != napi_ok) {
    throw_type_error(env, "ERR_INVALID_ARG_TYPE", "The \"%s\" argument must be of type number", name);
    return false;
  }
  /* Comparing as doubles first keeps NaN, infinities and fractions out before any cast. */
  if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d) {
    throw_type_error(env, "ERR_OUT_OF_RANGE", "The \"%s\" argument is out of range or not an integer", name);
    return false;
  }
  *out = (int64_t)d;
  return true;
}

bool arg_buffer(napi_env env, napi_value v, const char *name, void **data, size_t *len) {
  bool is_buffer = false;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer) {
    throw_type_error(env, "ERR_INVALID_ARG_TYPE", "The \"%s\" argument must be a Buffer", name);
    return false;
  }
  if (napi_get_buffer_info(env, v, data, len) != napi_ok) {
    throw_last_napi_error(env);
    return false;
  }
  return true;
}

bool arg_function(napi_env env, napi_value v, const char *name) {
  if (!value_is(env, v, napi_function)) {
    throw_type_error(env, "ERR_INVALID_ARG_TYPE", "The \"%s\" argument must be a function", name);
    return false;
  }
  return true;
}

static const char *errno_name(int err) {
  const char *name = strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

/* libuv's wording is Node's ("no such file or directory"); glibc covers what libuv does not know. */
static const char *errno_text(int err) {
  const char *text = uv_strerror(-err);
  if (strncmp(text, "Unknown system error", 20) == 0) return strerror(err);
  return text;
}

napi_value sys_error(napi_env env, int err, const char *syscall, const char *path, const char *dest) {
  char msg[1024];
  int n = snprintf(msg, sizeof msg, "%s: %s, %s", errno_name(err), errno_text(err), syscall);
  if (path && n >= 0 && (size_t)n < sizeof msg) n += snprintf(msg + n, sizeof msg - n, " '%s'", path);
  if (dest && n >= 0 && (size_t)n < sizeof msg) snprintf(msg + n, sizeof msg - n, " -> '%s'", dest);

  napi_value js_msg, error, v;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &js_msg) != napi_ok) return NULL;
  if (napi_create_error(env, NULL, js_msg, &error) != napi_ok) return NULL;
  /* Node's fs errors carry the negated errno; callers comparing with os.constants.errno negate. */
  if (napi_create_int32(env, -err, &v) != napi_ok || napi_set_named_property(env, error, "errno", v) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &v) != napi_ok ||
      napi_set_named_property(env, error, "code", v) != napi_ok)
    return NULL;
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v) != napi_ok ||
      napi_set_named_property(env, error, "syscall", v) != napi_ok)
    return NULL;
  if (path && (napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &v) != napi_ok ||
               napi_set_named_property(env, error, "path", v) != napi_ok))
    return NULL;
  if (dest && (napi_create_string_utf8(env, dest, NAPI_AUTO_LENGTH, &v) != napi_ok ||
               napi_set_named_property(env, error, "dest", v) != napi_ok))
    return NULL;
  return error;
}

void throw_sys_error(napi_env env, int err, const char *syscall, const char *path, const char *dest) {
  napi_value error = sys_error(env, err, syscall, path, dest);
  if (error) napi_throw(env, error);
  else throw_last_napi_error(env);
}

bool set_function(napi_env env, napi_value obj, const char *name, napi_callback fn) {
  napi_value f;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f) == napi_ok &&
         napi_set_named_property(env, obj, name, f) == napi_ok;
}

bool set_int_property(napi_env env, napi_value obj, const char *name, int64_t value) {
  napi_value v;
  return napi_create_int64(env, value, &v) == napi_ok && napi_set_named_property(env, obj, name, v) == napi_ok;
}

void call_from_uv(napi_env env, napi_async_context ctx, napi_value fn, size_t argc, const napi_value *argv) {
  /* napi_make_callback insists on an object for `this`. */
  napi_value recv;
  if (napi_get_global(env, &recv) != napi_ok) return;
  napi_status status = napi_make_callback(env, ctx, recv, fn, argc, argv, NULL);
  bool pending = false;
  if (status != napi_ok && napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value exc;
    if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
  }
}
