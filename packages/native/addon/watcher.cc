// Thread + typed ThreadSafeFunction behind Watcher (see watcher.h).
//
// Lifetime of one cycle (a WatchRun):
//   Start: create the TSFN (holds the callback, refs the loop), register an env cleanup
//          hook, start the thread.
//   Stop:  set the stop flag, shmstate_segment_wake, join, remove the cleanup hook, Release
//          the TSFN. Node then drains the queue (CallJs sees run->stopped and calls nothing)
//          and runs the finalizer, which deletes the WatchRun.
// Environment teardown (process exit, worker termination) runs the cleanup hook, which
// calls Stop. The hook is registered after the TSFN is created, and Node runs cleanup hooks
// in reverse order of registration, so the thread is joined before Node tears the TSFN
// down: the thread never calls into a TSFN that is gone.
#include "watcher.h"

#include <signal.h>

#include <atomic>
#include <memory>
#include <system_error>
#include <thread>

#include "throw_error.h"

namespace {

// What the thread hands to JS: nullptr for "changed", or a heap-allocated failure.
struct WatchFailure {
  shmstate_error error;
};

void CallJs(Napi::Env env, Napi::Function callback, WatchRun* run, WatchFailure* failure);

}  // namespace

using WatchTsfn = Napi::TypedThreadSafeFunction<WatchRun, WatchFailure, CallJs>;

struct WatchRun {
  shmstate_segment* segment = nullptr;
  // Read by shmstate_segment_wait through a volatile pointer. Stop writes it with a
  // seq_cst store before calling shmstate_segment_wake; the waiter re-checks it after it
  // has registered as a waiter, so either it sees the flag or the wake reaches it.
  volatile int stop_flag = 0;
  // Conflation: the thread sets it before it queues a call, CallJs clears it before it
  // calls JS, so commits during the JS callback queue exactly one more call.
  std::atomic<bool> pending{false};
  // JS thread only: set by Stop so calls still queued are dropped.
  bool stopped = false;
  uint64_t seen_version = 0;
  std::thread thread;
  WatchTsfn tsfn;
};

namespace {

void CallJs(Napi::Env env, Napi::Function callback, WatchRun* run, WatchFailure* failure) {
  std::unique_ptr<WatchFailure> owned(failure);  // always freed, even at teardown
  if (env == nullptr || callback.IsEmpty() || run == nullptr) return;
  if (failure == nullptr) {
    // Clear before calling (release pairs with the thread's acq_rel exchange) so a change
    // that lands while JS runs queues one more call instead of being lost.
    run->pending.store(false, std::memory_order_release);
    if (!run->stopped) callback.Call({});
    return;
  }
  if (!run->stopped) callback.Call({MakeShmStateError(env, failure->error).Value()});
}

// Asynchronous signals belong to the JS thread (where Node's handlers and libuv expect
// them); blocking them here also spares the wait needless EINTR round trips. Faults
// raised by this thread itself stay deliverable.
void BlockAsyncSignals() {
  sigset_t set;
  sigfillset(&set);
  for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigdelset(&set, fault);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// How long one wait lasts at most. A wait that ends with nothing new checks that the
// segment's name still names its file (shmstate_segment_wait), so a file removed by hand
// ends the watch within about this long even if nobody commits: one futex wait and one
// fstat per slice, ten times a second, for an idle watcher.
constexpr int64_t kWaitSliceNs = 100 * 1000 * 1000;

void WatchLoop(WatchRun* run) {
  BlockAsyncSignals();
  uint64_t seen = run->seen_version;
  for (;;) {
    shmstate_error err{};
    uint64_t now = seen;
    int rc = shmstate_segment_wait(run->segment, seen, kWaitSliceNs, &run->stop_flag, &now, &err);
    if (rc == SHMSTATE_OK) {
      seen = now;
      if (!run->pending.exchange(true, std::memory_order_acq_rel)) {
        run->tsfn.NonBlockingCall(nullptr);
      }
      continue;
    }
    // A signal, or a slice that ended with nothing new: wait again.
    if (rc == SHMSTATE_E_INTERRUPTED || rc == SHMSTATE_E_TIMEOUT) continue;
    // E_CLOSED with the flag set is Stop asking; anything else is a failure to report,
    // after which the thread ends and JS is expected to call Stop.
    if (rc == SHMSTATE_E_CLOSED && __atomic_load_n(&run->stop_flag, __ATOMIC_SEQ_CST)) return;
    auto* failure = new WatchFailure{err};
    // Fails only while the environment is going away; then nobody is left to tell.
    if (run->tsfn.NonBlockingCall(failure) != napi_ok) delete failure;
    return;
  }
}

void OnTsfnFinalize(Napi::Env, void*, WatchRun* run) { delete run; }

}  // namespace

Watcher::Watcher(shmstate_segment* segment) : segment_(segment) {}

Watcher::~Watcher() { Stop(); }

void Watcher::Start(Napi::Env env, Napi::Function callback) {
  if (run_ != nullptr) return;
  auto run = std::make_unique<WatchRun>();
  run->segment = segment_;
  run->seen_version = shmstate_segment_version(segment_);
  // Unbounded queue (0): conflation already bounds it to one change plus one failure.
  run->tsfn = WatchTsfn::New(env, callback, "shmstate.watch", 0, 1, run.get(), OnTsfnFinalize,
                             static_cast<void*>(nullptr));
  WatchRun* raw = run.release();  // from here on the TSFN finalizer owns it
  try {
    raw->thread = std::thread(WatchLoop, raw);
  } catch (const std::system_error&) {
    raw->stopped = true;
    raw->tsfn.Release();
    ThrowShmStateCode(env, SHMSTATE_E_LIMIT, "cannot start the watcher thread");
  }
  env_ = env;
  run_ = raw;
  cleanup_hook_registered_ = napi_add_env_cleanup_hook(env_, OnEnvCleanup, this) == napi_ok;
}

void Watcher::Stop() {
  if (run_ == nullptr) return;
  WatchRun* run = run_;
  run_ = nullptr;
  if (cleanup_hook_registered_) {
    cleanup_hook_registered_ = false;
    napi_remove_env_cleanup_hook(env_, OnEnvCleanup, this);
  }
  run->stopped = true;
  __atomic_store_n(&run->stop_flag, 1, __ATOMIC_SEQ_CST);
  shmstate_segment_wake(run->segment);
  if (run->thread.joinable()) run->thread.join();
  run->tsfn.Release();  // the finalizer deletes `run` once the queue has drained
}

void Watcher::OnEnvCleanup(void* watcher) {
  auto* self = static_cast<Watcher*>(watcher);
  self->cleanup_hook_registered_ = false;  // Node is running it: nothing to remove
  self->Stop();
}
