/*
 * Helpers shared by every part of the addon: argument checks that throw Node-style TypeErrors,
 * and errno errors shaped like Node's own fs errors ({ code, errno, syscall, path }).
 */
#ifndef BERTH_NAPI_UTIL_H
#define BERTH_NAPI_UTIL_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A failed napi call leaves an exception pending (or we raise one), so the caller only unwinds. */
#define NAPI_CALL(env, call)                                                                    \
  do {                                                                                          \
    if ((call) != napi_ok) {                                                                    \
      throw_last_napi_error(env);                                                               \
      return NULL;                                                                              \
    }                                                                                           \
  } while (0)

/* Throws an Error describing the last napi failure unless one is already pending. */
void throw_last_napi_error(napi_env env);

/* Reads exactly `n` arguments; fewer is a TypeError. */
bool get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, napi_value *self);

/*
 * Copies a JS string into a malloc'd C string. Strings holding NUL are rejected: the kernel would
 * silently act on the prefix, e.g. on another path.
 */
bool arg_string(napi_env env, napi_value v, const char *name, char **out);
/* As arg_string, but null and undefined give NULL. */
bool arg_string_or_null(napi_env env, napi_value v, const char *name, char **out);
/* An integer Number in [min, max]. */
bool arg_int64(napi_env env, napi_value v, const char *name, int64_t min, int64_t max, int64_t *out);
bool arg_buffer(napi_env env, napi_value v, const char *name, void **data, size_t *len);
bool arg_function(napi_env env, napi_value v, const char *name);

/* Builds an Error like Node's: "ENOENT: no such file or directory, mount '/a' -> '/b'". */
napi_value sys_error(napi_env env, int err, const char *syscall, const char *path, const char *dest);
void throw_sys_error(napi_env env, int err, const char *syscall, const char *path, const char *dest);

/* Adds `name: fn` to `obj`. */
bool set_function(napi_env env, napi_value obj, const char *name, napi_callback fn);
bool set_int_property(napi_env env, napi_value obj, const char *name, int64_t value);

/*
 * Runs a JS callback from a libuv callback, where no JS is on the stack: opens the callback
 * scope so microtasks and nextTicks run afterwards, and reports a throw as an uncaught exception
 * instead of leaving it pending forever.
 */
void call_from_uv(napi_env env, napi_async_context ctx, napi_value fn, size_t argc, const napi_value *argv);

#endif
