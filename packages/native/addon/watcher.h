// The thread notification path of one open segment, the fallback of the doorbell
// (doorbell_watch.h) and the choice of SHMSTATE_NOTIFY=thread: a thread blocked in
// shmstate_segment_wait that tells the event loop "the version may have changed" through a
// ThreadSafeFunction (two wake-ups per change: the thread's, then the loop's).
//
// Conflated by construction: at most one call is pending in the event loop's queue, however
// many commits happen before JS runs it (the listener reads the latest version itself).
// SegmentWrap picks between the two paths; JS sees only watchStart(callback, mechanism) /
// watchStop() (src/change-notifier.ts).
#ifndef SHMSTATE_ADDON_WATCHER_H
#define SHMSTATE_ADDON_WATCHER_H

#include <napi.h>

#include "shmstate.h"

struct WatchRun;

class Watcher {
 public:
  explicit Watcher(shmstate_segment* segment);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Starts the thread; `callback` runs on the JS thread as callback() after a change, or
  // callback(error) once if the wait fails for good (the thread has then ended; call Stop).
  // The pending ThreadSafeFunction keeps the event loop alive until Stop.
  void Start(Napi::Env env, Napi::Function callback);
  // Stops and joins the thread and releases the ThreadSafeFunction so the event loop may
  // exit. Calls still queued are dropped. Idempotent. JS thread only.
  void Stop();
  bool active() const { return run_ != nullptr; }

 private:
  static void OnEnvCleanup(void* watcher);

  shmstate_segment* segment_;
  napi_env env_ = nullptr;
  bool cleanup_hook_registered_ = false;
  // The current start..stop cycle, or nullptr. Owned jointly: Stop detaches it, and the
  // ThreadSafeFunction's finalizer deletes it once no queued call can reach it any more.
  WatchRun* run_ = nullptr;
};

#endif  // SHMSTATE_ADDON_WATCHER_H
