// NativeSegment: a JS object owning one shmstate_segment*. Arguments arrive validated by the
// TypeScript layer (src/argument-checks.ts); the glue still refuses wrong types rather than
// crash, with E_INVALID like it.
#ifndef SHMSTATE_ADDON_SEGMENT_WRAP_H
#define SHMSTATE_ADDON_SEGMENT_WRAP_H

#include <napi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "doorbell_watch.h"
#include "shmstate.h"
#include "watcher.h"

class SegmentWrap : public Napi::ObjectWrap<SegmentWrap> {
 public:
  static Napi::Function DefineClass(Napi::Env env);

  // Only the static factories construct it, passing the handle as an External.
  explicit SegmentWrap(const Napi::CallbackInfo& info);
  ~SegmentWrap() override;

  // A new NativeSegment owning `segment` (closed if the wrapping throws).
  static Napi::Object Wrap(Napi::Env env, shmstate_segment* segment);

 private:
  static Napi::Value Create(const Napi::CallbackInfo& info);
  static Napi::Value Open(const Napi::CallbackInfo& info);
  static Napi::Value OpenOrCreate(const Napi::CallbackInfo& info);
  static Napi::Value OpenWait(const Napi::CallbackInfo& info);
  static Napi::Value Unlink(const Napi::CallbackInfo& info);

  Napi::Value Name(const Napi::CallbackInfo& info);
  Napi::Value Capacity(const Napi::CallbackInfo& info);
  Napi::Value ReadOnly(const Napi::CallbackInfo& info);
  // The store id as 16 lowercase hex digits.
  Napi::Value StoreId(const Napi::CallbackInfo& info);
  Napi::Value Version(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value ReadText(const Napi::CallbackInfo& info);
  Napi::Value Commit(const Napi::CallbackInfo& info);
  Napi::Value CommitText(const Napi::CallbackInfo& info);
  // The UTF-8 encoding of a state text in the scratch buffer (*out), its length returned;
  // E_CAPACITY naming the encoded size when it is larger than the capacity.
  size_t StateTextToScratch(Napi::Env env, napi_value text, uint8_t** out);
  // The scratch buffer, at least `size` bytes (grown, never shrunk, while open); throws
  // E_NOMEM if it cannot grow.
  uint8_t* Scratch(Napi::Env env, size_t size);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  // The patch ring (patch_ring_wrap.cc).
  Napi::Value RingInfo(const Napi::CallbackInfo& info);
  Napi::Value CommitPatch(const Napi::CallbackInfo& info);
  Napi::Value ReadPatches(const Napi::CallbackInfo& info);
  Napi::Value ReadDelta(const Napi::CallbackInfo& info);
  // The buffer patch reads fill, sized from the ring's geometry on first use.
  shmstate_patch_buffer PatchBuffer(Napi::Env env);
  // The attach table (attach_wrap.cc).
  Napi::Value Attach(const Napi::CallbackInfo& info);
  Napi::Value SetRole(const Napi::CallbackInfo& info);
  Napi::Value Attached(const Napi::CallbackInfo& info);
  Napi::Value SetLockTimeout(const Napi::CallbackInfo& info);
  Napi::Value WatchStart(const Napi::CallbackInfo& info);
  Napi::Value WatchStop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // The open handle; throws E_CLOSED after Close.
  shmstate_segment* Handle(Napi::Env env) const;
  void Release();

  shmstate_segment* segment_ = nullptr;
  // The two notification paths; at most one is active. The doorbell is the default, the
  // watcher thread the fallback when no doorbell can be registered (and a choice).
  std::unique_ptr<DoorbellWatch> doorbell_;
  std::unique_ptr<Watcher> watcher_;
  // Read target of `capacity` bytes (one more for commitText's NUL), allocated on the
  // first read or text commit and reused: the core needs room for the largest payload,
  // a read's result is copied out at its real length. Only the JS thread uses it.
  std::unique_ptr<uint8_t[]> scratch_;
  size_t scratch_size_ = 0;
  // Where patch reads put their bytes (delta_bytes_max of them) and entries (one per ring
  // entry): allocated on the first patch read and reused.
  std::unique_ptr<uint8_t[]> patch_bytes_;
  size_t patch_bytes_size_ = 0;
  std::vector<shmstate_patch> patch_entries_;
};

#endif  // SHMSTATE_ADDON_SEGMENT_WRAP_H
