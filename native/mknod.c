/* mknod(2): device nodes and fifos from image layers, and overlay whiteouts (char device 0:0). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "addon.h"
#include "napi-util.h"

/* mknod(path, mode, major, minor): mode carries the type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int64_t mode, major, minor;
  char *path;
  if (!get_args(env, info, 4, argv, NULL) || !arg_int64(env, argv[1], "mode", 0, UINT32_MAX, &mode) ||
      !arg_int64(env, argv[2], "major", 0, UINT32_MAX, &major) || !arg_int64(env, argv[3], "minor", 0, UINT32_MAX, &minor) ||
      !arg_string(env, argv[0], "path", &path))
    return NULL;
  int rc;
  do rc = mknod(path, (mode_t)mode, makedev((unsigned)major, (unsigned)minor));
  while (rc < 0 && errno == EINTR);
  if (rc < 0) throw_sys_error(env, errno, "mknod", path, NULL);
  free(path);
  return NULL;
}

bool init_mknod(napi_env env, napi_value exports, napi_value constants) {
  (void)constants;
  return set_function(env, exports, "mknod", js_mknod);
}
