/*
 * berth_native: what Node cannot do by itself — SOCK_SEQPACKET sockets (conmon's attach socket),
 * mount(2), mknod(2), extended attributes and batched file creation. Loaded only by src/sys/native.ts.
 */
#include <stdlib.h>

#include "addon.h"
#include "napi-util.h"

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  addon_state *state = data;
  free(state->recv_buffer);
  free(state);
}

NAPI_MODULE_INIT() {
  addon_state *state = calloc(1, sizeof *state);
  if (state) state->recv_buffer = malloc(RECV_BUFFER_SIZE);
  if (!state || !state->recv_buffer) {
    if (state) free(state);
    napi_throw_error(env, "ENOMEM", "Cannot allocate memory");
    return NULL;
  }
  if (napi_set_instance_data(env, state, free_state, NULL) != napi_ok) {
    free(state->recv_buffer);
    free(state);
    throw_last_napi_error(env);
    return NULL;
  }
  napi_value constants;
  if (napi_create_object(env, &constants) != napi_ok || napi_set_named_property(env, exports, "constants", constants) != napi_ok ||
      !init_seqpacket_connect(env, exports, constants) || !init_seqpacket_handle(env, exports, constants) ||
      !init_mount(env, exports, constants) || !init_mknod(env, exports, constants) || !init_xattr(env, exports, constants) ||
      !init_create_files(env, exports, constants) ||
      !init_test_support(env, exports, constants)) {
    throw_last_napi_error(env);
    return NULL;
  }
  return exports;
}
