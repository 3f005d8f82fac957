// NativeSegment's patch ring methods: commits that carry a patch, and the two patch reads
// (a catch-up from a version the caller holds, and a fresh read of a checkpoint with the
// patches after it). The core does every check of the ring's bytes; this glue only moves
// texts between V8 and the core, checking each patch as strict UTF-8 (the bytes are
// untrusted, and V8 would turn malformed input into U+FFFD without a word).
#include <new>
#include <string>

#include "glue_arguments.h"
#include "segment_wrap.h"
#include "throw_error.h"
#include "utf8_check.h"

namespace {

// A patch or state text read from the segment, as a JS string; E_CORRUPT if the bytes are
// not strict UTF-8.
Napi::String TextOf(Napi::Env env, const uint8_t* bytes, size_t length, uint64_t version,
                    const char* what) {
  if (!IsValidUtf8(bytes, length)) {
    std::string message = std::string("the ") + what + " of version " + std::to_string(version) +
                          " (" + std::to_string(length) + " bytes) is not valid UTF-8";
    ThrowShmStateCode(env, SHMSTATE_E_CORRUPT, message.c_str());
  }
  return Napi::String::New(env, reinterpret_cast<const char*>(bytes), length);
}

// The UTF-8 encoding of a JS string argument.
std::string Utf8Argument(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (info.Length() <= index || !info[index].IsString())
    ThrowInvalid(info, index, what, "a string");
  return info[index].As<Napi::String>().Utf8Value();
}

}  // namespace

shmstate_patch_buffer SegmentWrap::PatchBuffer(Napi::Env env) {
  shmstate_segment* segment = Handle(env);
  if (patch_bytes_ == nullptr) {
    shmstate_ring_info ring{};
    shmstate_segment_ring_info(segment, &ring);
    // new[] without (): pages become resident only as patches are copied into them.
    size_t size = ring.delta_bytes_max > 0 ? ring.delta_bytes_max : 1;
    patch_bytes_.reset(new (std::nothrow) uint8_t[size]);
    if (patch_bytes_ == nullptr) {
      std::string message = "cannot allocate " + std::to_string(size) + " bytes to read patches";
      ThrowShmStateCode(env, SHMSTATE_E_NOMEM, message.c_str());
    }
    patch_bytes_size_ = ring.delta_bytes_max;
    patch_entries_.resize(ring.entries);
  }
  shmstate_patch_buffer buffer{};
  buffer.bytes = patch_bytes_.get();
  buffer.bytes_cap = patch_bytes_size_;
  buffer.entries = patch_entries_.data();
  buffer.entries_cap = patch_entries_.size();
  return buffer;
}

// ringInfo() -> { entries, patchMax, deltaBytesMax }, all 0 without a ring.
Napi::Value SegmentWrap::RingInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_ring_info ring{};
  shmstate_segment_ring_info(Handle(env), &ring);
  Napi::Object result = Napi::Object::New(env);
  result.Set("entries", Napi::Number::New(env, ring.entries));
  result.Set("patchMax", Napi::Number::New(env, static_cast<double>(ring.patch_max)));
  result.Set("deltaBytesMax", Napi::Number::New(env, static_cast<double>(ring.delta_bytes_max)));
  return result;
}

// commitPatch(patchText, stateText | undefined, stateLength, expectedVersion) -> the new
// version, or 0 when stateText is undefined and the commit must be a checkpoint: the caller
// then encodes the state and calls again with it. `stateLength` is the state's encoded
// length after the patch as the caller tracks it (E_CAPACITY above the capacity); with a
// stateText, the text's own length is used.
Napi::Value SegmentWrap::CommitPatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_segment* segment = Handle(env);
  std::string patch = Utf8Argument(info, 0, "patchText");
  bool with_state = info.Length() > 1 && !info[1].IsUndefined();
  if (with_state && !info[1].IsString())
    ThrowInvalid(info, 1, "stateText", "a string or undefined");
  auto state_length = static_cast<uint64_t>(NumberArgument(info, 2, "stateLength"));
  auto expected = static_cast<uint64_t>(NumberArgument(info, 3, "expectedVersion"));
  shmstate_error err{};
  uint64_t version = 0;
  if (!with_state) {
    // The plan takes the writer lock for a moment; its answer holds while expected stays
    // the published version, which the commit checks under the lock again.
    int due = 0;
    if (shmstate_segment_patch_plan(segment, expected, patch.size(), state_length, &due, &err) !=
        SHMSTATE_OK) {
      ThrowShmStateError(env, err);
    }
    if (due) return Napi::Number::New(env, 0);
    if (shmstate_segment_commit_patch(segment, patch.data(), patch.size(), nullptr, state_length,
                                      expected, &version, &err) != SHMSTATE_OK) {
      ThrowShmStateError(env, err);
    }
    return Napi::Number::New(env, static_cast<double>(version));
  }
  uint8_t* scratch = nullptr;
  size_t length = StateTextToScratch(env, info[1], &scratch);
  if (shmstate_segment_commit_patch(segment, patch.data(), patch.size(), scratch, length, expected,
                                    &version, &err) != SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  return Napi::Number::New(env, static_cast<double>(version));
}

// readPatches(fromVersion, versionOut: Float64Array) -> the patch texts fromVersion+1..V in
// order (versionOut[0] = V, fromVersion + their count), or null when some patch is no longer
// in the ring (or there is no ring): the caller does a fresh read. Calls the core again while
// its buffer fills before the published version is reached.
Napi::Value SegmentWrap::ReadPatches(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto from = static_cast<uint64_t>(NumberArgument(info, 0, "fromVersion"));
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[1].As<Napi::TypedArray>().ElementLength() < 1) {
    ThrowInvalid(info, 1, "versionOut", "a Float64Array of length 1");
  }
  double* version_out = info[1].As<Napi::Float64Array>().Data();
  shmstate_patch_buffer buffer = PatchBuffer(env);
  Napi::Array texts = Napi::Array::New(env);
  uint32_t count = 0;
  uint64_t at = from;
  // Each round returns at least one patch or ends the loop, and a round never returns
  // more than the published version: the rounds are bounded by the versions published
  // while they run, which the caller's next notification would bring anyway. Cap them so
  // a writer committing faster than we copy cannot keep us here.
  for (int round = 0; round < 64; round += 1) {
    uint64_t version = 0;
    int need_full = 0;
    shmstate_error err{};
    if (shmstate_segment_read_patches(Handle(env), at, &buffer, &version, &need_full, &err) !=
        SHMSTATE_OK) {
      ThrowShmStateError(env, err);
    }
    if (need_full) return env.Null();
    const auto* bytes = static_cast<const uint8_t*>(buffer.bytes);
    for (size_t i = 0; i < buffer.count; i += 1) {
      const shmstate_patch& patch = buffer.entries[i];
      texts.Set(count++, TextOf(env, bytes + patch.offset, patch.length, patch.version, "patch"));
    }
    bool filled = buffer.count > 0 && version > at;
    at = version;
    if (!filled || version >= shmstate_segment_version(Handle(env))) break;
  }
  *version_out = static_cast<double>(at);
  return texts;
}

// readDelta(versionsOut: Float64Array of 2) -> [stateText, ...patchTexts]: the full state
// at a checkpoint (versionsOut[1]) and the patches after it up to versionsOut[0].
Napi::Value SegmentWrap::ReadDelta(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_segment* segment = Handle(env);
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::TypedArray>().ElementLength() < 2) {
    ThrowInvalid(info, 0, "versionsOut", "a Float64Array of length 2");
  }
  double* versions_out = info[0].As<Napi::Float64Array>().Data();
  shmstate_patch_buffer buffer = PatchBuffer(env);
  uint8_t* scratch = Scratch(env, shmstate_segment_capacity(segment));
  size_t length = 0;
  uint64_t checkpoint = 0;
  uint64_t version = 0;
  shmstate_error err{};
  if (shmstate_segment_read_delta(segment, scratch, scratch_size_, &length, &checkpoint, &buffer,
                                  &version, &err) != SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  Napi::Array result = Napi::Array::New(env, buffer.count + 1);
  result.Set(uint32_t{0}, TextOf(env, scratch, length, checkpoint, "state"));
  const auto* bytes = static_cast<const uint8_t*>(buffer.bytes);
  for (size_t i = 0; i < buffer.count; i += 1) {
    const shmstate_patch& patch = buffer.entries[i];
    result.Set(static_cast<uint32_t>(i + 1),
               TextOf(env, bytes + patch.offset, patch.length, patch.version, "patch"));
  }
  versions_out[0] = static_cast<double>(version);
  versions_out[1] = static_cast<double>(checkpoint);
  return result;
}
