{
  "targets": [
    {
      "target_name": "berth_native",
      "sources": [
        "native/addon.c",
        "native/napi-util.c",
        "native/unix-address.c",
        "native/seqpacket-connect.c",
        "native/seqpacket-handle.c",
        "native/mount.c",
        "native/mknod.c",
        "native/xattr.c",
        "native/create-files.c",
        "native/test-support.c"
      ],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags_c": ["-std=gnu11"]
    }
  ]
}
