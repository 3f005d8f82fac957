// NativeSegment's attach-table methods: attach this handle, change its role, list who is
// attached. The policy (attach as a reader on open, writer on the first commit, subscriber
// on the first watch) lives in src/segment.ts; this glue only moves numbers, and the
// table's entries stay untrusted numbers (the TS side names the roles and languages).
#include <vector>

#include "glue_arguments.h"
#include "segment_wrap.h"
#include "throw_error.h"

// attach(role, language): the core's numbers (1 writer, 2 subscriber, 3 reader; 2 node).
Napi::Value SegmentWrap::Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_segment* segment = Handle(env);
  auto role = static_cast<int>(NumberArgument(info, 0, "role"));
  auto language = static_cast<int>(NumberArgument(info, 1, "language"));
  shmstate_error err{};
  if (shmstate_segment_attach(segment, static_cast<shmstate_role>(role),
                              static_cast<shmstate_language>(language), &err) != SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  return env.Undefined();
}

// setRole(role)
Napi::Value SegmentWrap::SetRole(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_segment* segment = Handle(env);
  auto role = static_cast<int>(NumberArgument(info, 0, "role"));
  shmstate_error err{};
  if (shmstate_segment_set_role(segment, static_cast<shmstate_role>(role), &err) != SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  return env.Undefined();
}

// attached() -> [{ index, role, language, pid, startNs, alive, self }], numbers as stored.
// startNs is a Number (ms precision is all a reader needs; the TS side divides).
Napi::Value SegmentWrap::Attached(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_segment* segment = Handle(env);
  // The table holds SHMSTATE_ATTACH_TABLE_ENTRIES entries when this build made it; a
  // segment made elsewhere may hold more, so ask for the count and retry once with room.
  std::vector<shmstate_attachment> entries(SHMSTATE_ATTACH_TABLE_ENTRIES);
  size_t count = 0;
  shmstate_error err{};
  for (int attempt = 0; attempt < 2; attempt++) {
    if (shmstate_segment_attached(segment, entries.data(), entries.size(), &count, &err) !=
        SHMSTATE_OK) {
      ThrowShmStateError(env, err);
    }
    if (count <= entries.size()) break;
    entries.resize(count);
  }
  if (count > entries.size()) count = entries.size();
  Napi::Array result = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; i++) {
    const shmstate_attachment& a = entries[i];
    Napi::Object one = Napi::Object::New(env);
    one.Set("index", Napi::Number::New(env, a.index));
    one.Set("role", Napi::Number::New(env, a.role));
    one.Set("language", Napi::Number::New(env, a.language));
    one.Set("pid", Napi::Number::New(env, a.pid));
    one.Set("startNs", Napi::Number::New(env, static_cast<double>(a.start_ns)));
    one.Set("alive", Napi::Boolean::New(env, a.alive != 0));
    one.Set("self", Napi::Boolean::New(env, a.self != 0));
    result.Set(static_cast<uint32_t>(i), one);
  }
  return result;
}
