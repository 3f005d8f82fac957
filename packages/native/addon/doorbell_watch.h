// The one-wake-up notification path of one open segment, the default: a doorbell
// (csrc/doorbell.c) whose socket libuv polls on the JS thread itself, so a commit in another
// process wakes this event loop once, with no thread in between.
//
// Conflated by construction: a writer rings a doorbell only while it is armed and disarms
// it in the same step, and the doorbell is re-armed only at the end of a delivery turn, so
// at most one wake-up is pending. What a turn delivers is the C core's policy, shared with
// Python's asyncio binding (shmstate_doorbell_turn_begin/again/end in shmstate.h): the
// callback runs, and runs again at once while newer versions land, a bounded number of
// times (the listener reads the latest version itself).
// SegmentWrap picks between this and the watcher thread (watcher.h); JS sees only
// watchStart(callback, mechanism) / watchStop() (src/change-notifier.ts).
#ifndef SHMSTATE_ADDON_DOORBELL_WATCH_H
#define SHMSTATE_ADDON_DOORBELL_WATCH_H

#include <napi.h>

#include "shmstate.h"

struct DoorbellRun;

class DoorbellWatch {
 public:
  explicit DoorbellWatch(shmstate_segment* segment);
  ~DoorbellWatch();
  DoorbellWatch(const DoorbellWatch&) = delete;
  DoorbellWatch& operator=(const DoorbellWatch&) = delete;

  // Registers a doorbell and polls it on this environment's loop: `callback` runs on the
  // JS thread as callback() after changes, or callback(error) once if the doorbell can no
  // longer ring (JS is then expected to call Stop). The active poll handle keeps the loop
  // alive until Stop. Returns false, with *err filled and nothing started, when no
  // doorbell can be registered (E_LIMIT: the segment's table is full): the caller falls
  // back to the watcher thread.
  bool Start(Napi::Env env, Napi::Function callback, shmstate_error* err);
  // Unregisters, closes the socket and the poll handle, so the loop may exit. Idempotent.
  // JS thread only; safe from inside the callback.
  void Stop();
  bool active() const { return run_ != nullptr; }

 private:
  static void OnEnvCleanup(napi_async_cleanup_hook_handle hook, void* watch);
  void StopRun(napi_async_cleanup_hook_handle finishing_hook);

  shmstate_segment* segment_;
  // The current start..stop cycle, or nullptr. Stop detaches it; libuv's close callback
  // deletes it once the handle is closed.
  DoorbellRun* run_ = nullptr;
};

#endif  // SHMSTATE_ADDON_DOORBELL_WATCH_H
