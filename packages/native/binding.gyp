# The Node addon: the C core (every csrc/*.c, the same files the Python extension compiles;
# test/01.binding-sources.test.ts keeps this list complete) plus the node-addon-api glue.
# C++ exceptions are on, so the glue reads straight through and every failure surfaces as
# a thrown ShmStateError. -std=c11 sits in cflags_c: gyp's cflags also reach the C++
# compiler, which would warn about a C-only standard.
{
  "targets": [
    {
      "target_name": "shmstate",
      "sources": [
        "csrc/attach.c",
        "csrc/crc32c.c",
        "csrc/doorbell.c",
        "csrc/doorbell_exit.c",
        "csrc/doorbell_path.c",
        "csrc/doorbell_ring.c",
        "csrc/errors.c",
        "csrc/futex.c",
        "csrc/header.c",
        "csrc/health.c",
        "csrc/mirror.c",
        "csrc/name.c",
        "csrc/patch_ring.c",
        "csrc/retire.c",
        "csrc/segment.c",
        "csrc/segment_create.c",
        "csrc/segment_info.c",
        "csrc/segment_open.c",
        "csrc/segment_wait.c",
        "csrc/trust.c",
        "csrc/seqlock.c",
        "csrc/writer_lock.c",
        "addon/addon.cc",
        "addon/attach_wrap.cc",
        "addon/doorbell_watch.cc",
        "addon/glue_arguments.cc",
        "addon/patch_ring_wrap.cc",
        "addon/segment_wrap.cc",
        "addon/open_wait.cc",
        "addon/throw_error.cc",
        "addon/utf8_check.cc",
        "addon/watcher.cc"
      ],
      "include_dirs": ["csrc/include", "csrc"],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      # NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: while an environment terminates (a worker
      # being stopped), a call into JS fails and its error cannot be thrown back; without
      # it node-addon-api rethrows from inside its own callback wrapper and the process
      # aborts (std::terminate).
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "_GNU_SOURCE"
      ],
      # The C warning flags are csrc/warnings.flags, the one list the Makefile and the
      # Python extension read too; the C++ glue gets -Wall -Wextra (node-addon-api's own
      # headers trip -Wshadow). SHMSTATE_WERROR=1 (the test command sets it) makes every
      # warning an error.
      "cflags": ["-O2"],
      "cflags_c": ["-std=c11", "<!@(cat csrc/warnings.flags)", "-Wstrict-prototypes"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "conditions": [
        ["'<!(node -p \"process.env.SHMSTATE_WERROR || 0\")' == '1'", {"cflags": ["-Werror"]}]
      ],
      "libraries": ["-lpthread"]
    }
  ]
}
