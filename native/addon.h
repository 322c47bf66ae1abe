/* Each part of the addon adds its functions to `exports` and its numbers to `exports.constants`. */
#ifndef BERTH_ADDON_H
#define BERTH_ADDON_H

#include <node_api.h>
#include <stdbool.h>

/* The size of one recv: larger than any packet conmon sends (8 KiB), and what SEQPACKET peers
 * in general are told to stay under. */
#define RECV_BUFFER_SIZE (64 * 1024)

/* Per-environment state (one per main thread or worker). */
typedef struct addon_state {
  /* Every recv lands here and is copied out at its exact length, so a small packet never pins a
   * 64 KiB allocation while it waits in a stream's queue. One buffer suffices: an environment runs
   * on one thread. */
  unsigned char *recv_buffer;
} addon_state;

bool init_seqpacket_connect(napi_env env, napi_value exports, napi_value constants);
bool init_seqpacket_handle(napi_env env, napi_value exports, napi_value constants);
bool init_mount(napi_env env, napi_value exports, napi_value constants);
bool init_mknod(napi_env env, napi_value exports, napi_value constants);
bool init_xattr(napi_env env, napi_value exports, napi_value constants);
bool init_create_files(napi_env env, napi_value exports, napi_value constants);
bool init_test_support(napi_env env, napi_value exports, napi_value constants);

#endif
