/*
 * mount(2) and umount2(2) on the libuv threadpool: an overlay mount or a lazy unmount can block
 * on the filesystem for a long time, and the daemon's loop must keep serving meanwhile.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>

#include "addon.h"
#include "napi-util.h"

typedef struct mount_request {
  napi_async_work work;
  napi_deferred deferred;
  bool unmount;
  char *source;
  char *target;
  char *fstype;
  char *data;
  unsigned long flags;
  int err;
} mount_request;

static void free_request(mount_request *r) {
  free(r->source);
  free(r->target);
  free(r->fstype);
  free(r->data);
  free(r);
}

/* Runs on a threadpool thread: no napi calls here. */
static void execute(napi_env env, void *data) {
  (void)env;
  mount_request *r = data;
  int rc;
  do rc = r->unmount ? umount2(r->target, (int)r->flags) : mount(r->source, r->target, r->fstype, r->flags, r->data);
  while (rc < 0 && errno == EINTR);
  r->err = rc < 0 ? errno : 0;
}

static void complete(napi_env env, napi_status status, void *data) {
  mount_request *r = data;
  napi_value value = NULL;
  if (status != napi_ok) r->err = ECANCELED;
  if (r->err) {
    value = r->unmount ? sys_error(env, r->err, "umount", r->target, NULL) : sys_error(env, r->err, "mount", r->source, r->target);
    if (value) napi_reject_deferred(env, r->deferred, value);
  } else if (napi_get_undefined(env, &value) == napi_ok) {
    napi_resolve_deferred(env, r->deferred, value);
  }
  napi_delete_async_work(env, r->work);
  free_request(r);
}

static napi_value queue(napi_env env, mount_request *r) {
  napi_value promise, name;
  if (napi_create_string_utf8(env, r->unmount ? "BerthUmount" : "BerthMount", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, r, &r->work) != napi_ok) {
    free_request(r);
    throw_last_napi_error(env);
    return NULL;
  }
  if (napi_create_promise(env, &r->deferred, &promise) != napi_ok || napi_queue_async_work(env, r->work) != napi_ok) {
    napi_delete_async_work(env, r->work);
    free_request(r);
    throw_last_napi_error(env);
    return NULL;
  }
  return promise;
}

/* mount(source, target, fstype | null, flags, data | null): Promise<void> */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int64_t flags;
  if (!get_args(env, info, 5, argv, NULL)) return NULL;
  mount_request *r = calloc(1, sizeof *r);
  if (!r) {
    throw_sys_error(env, ENOMEM, "mount", NULL, NULL);
    return NULL;
  }
  /* Flags may arrive as a negative int32 when bit 31 was set with JavaScript's | operator. */
  if (!arg_string(env, argv[0], "source", &r->source) || !arg_string(env, argv[1], "target", &r->target) ||
      !arg_string_or_null(env, argv[2], "fstype", &r->fstype) || !arg_int64(env, argv[3], "flags", INT32_MIN, UINT32_MAX, &flags) ||
      !arg_string_or_null(env, argv[4], "data", &r->data)) {
    free_request(r);
    return NULL;
  }
  r->flags = (uint32_t)flags;
  return queue(env, r);
}

/* umount(target, flags): Promise<void> */
static napi_value js_umount(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t flags;
  if (!get_args(env, info, 2, argv, NULL)) return NULL;
  mount_request *r = calloc(1, sizeof *r);
  if (!r) {
    throw_sys_error(env, ENOMEM, "umount", NULL, NULL);
    return NULL;
  }
  r->unmount = true;
  if (!arg_string(env, argv[0], "target", &r->target) || !arg_int64(env, argv[1], "flags", 0, INT32_MAX, &flags)) {
    free_request(r);
    return NULL;
  }
  r->flags = (unsigned long)flags;
  return queue(env, r);
}

bool init_mount(napi_env env, napi_value exports, napi_value constants) {
  return set_function(env, exports, "mount", js_mount) && set_function(env, exports, "umount", js_umount) &&
         set_int_property(env, constants, "MS_RDONLY", MS_RDONLY) && set_int_property(env, constants, "MS_NOSUID", MS_NOSUID) &&
         set_int_property(env, constants, "MS_NODEV", MS_NODEV) && set_int_property(env, constants, "MS_NOEXEC", MS_NOEXEC) &&
         set_int_property(env, constants, "MS_REMOUNT", MS_REMOUNT) && set_int_property(env, constants, "MS_BIND", MS_BIND) &&
         set_int_property(env, constants, "MS_REC", MS_REC) && set_int_property(env, constants, "MS_PRIVATE", MS_PRIVATE) &&
         set_int_property(env, constants, "MS_SLAVE", MS_SLAVE) && set_int_property(env, constants, "MS_SHARED", MS_SHARED) &&
         set_int_property(env, constants, "MNT_DETACH", MNT_DETACH) && set_int_property(env, constants, "MNT_FORCE", MNT_FORCE);
}
