// uv_poll_t on a doorbell's socket behind DoorbellWatch (see doorbell_watch.h).
//
// One delivery turn, on the JS thread, run by the C core's turn API (shmstate.h, "a
// delivery turn"; the re-delivery policy is the core's, not this file's):
//   libuv reports the socket readable -> shmstate_doorbell_turn_begin (note the futex
//   word) -> call JS (the listener reads the version and the state), again at once while
//   shmstate_doorbell_turn_again says newer versions landed (the core bounds how often) ->
//   shmstate_doorbell_turn_end: discard the pending bytes and re-arm, which re-checks the
//   word against the mark and rings the doorbell itself if a commit slipped in meanwhile,
//   so libuv reports it readable again on its next turn: a flood of commits never keeps
//   the JS thread here.
//
// Lifetime of one cycle (a DoorbellRun):
//   Start: register the doorbell, init and start the poll handle, add an async env cleanup
//          hook.
//   Stop:  uv_close (which takes the fd out of epoll at once), unregister and close the
//          socket, remove the hook, drop the JS references (deferred to the end of the
//          callback when Stop is called from inside it); libuv's close callback frees the
//          run.
// Environment teardown (worker termination, process end) runs the async cleanup hook,
// which stops the run and signals completion from the close callback, so Node does not
// close the loop while our handle is still in it.
#include "doorbell_watch.h"

#include <uv.h>

#include <cstdio>
#include <memory>

#include "throw_error.h"

struct DoorbellRun {
  uv_poll_t poll;  // poll.data points back here
  napi_env env = nullptr;
  shmstate_doorbell* bell = nullptr;
  Napi::FunctionReference callback;
  std::unique_ptr<Napi::AsyncContext> context;
  bool stopped = false;
  // Set while JS runs from OnReadable: Stop leaves the references for OnReadable to drop.
  bool dispatching = false;
  napi_async_cleanup_hook_handle cleanup_hook = nullptr;
  // The teardown hook this run's close completes, when teardown is what stopped it.
  napi_async_cleanup_hook_handle finishing_hook = nullptr;

  void ReleaseJs() {
    callback.Reset();
    context.reset();
  }
};

namespace {

// Calls JS with a callback scope (microtasks and nextTicks run after it, as after any
// event). An exception escaping the listener wrapper becomes an uncaught exception, the
// way an exception thrown by an event handler does; it never unwinds into libuv.
void Dispatch(DoorbellRun* run, const std::initializer_list<napi_value>& args) {
  Napi::Env env(run->env);
  run->dispatching = true;
  try {
    run->callback.MakeCallback(env.Global(), args, *run->context);
  } catch (const Napi::Error& error) {
    napi_fatal_exception(run->env, error.Value());
  }
  run->dispatching = false;
  if (run->stopped) run->ReleaseJs();
}

void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
  auto* run = static_cast<DoorbellRun*>(handle->data);
  if (run->stopped) return;
  Napi::HandleScope scope(run->env);
  if (status < 0) {
    shmstate_error err{};
    err.code = SHMSTATE_E_SYSTEM;
    std::snprintf(err.message, sizeof err.message, "polling the doorbell failed: %s",
                  uv_strerror(status));
    uv_poll_stop(handle);  // report once; JS stops the watch
    Dispatch(run, {MakeShmStateError(Napi::Env(run->env), err).Value()});
    return;
  }
  // Mark, deliver (again while newer versions land, bounded: the core's delivery turn),
  // then empty the socket and re-arm: the listener reads the state without waiting for a
  // recvmmsg first (shmstate.h, "a delivery turn").
  shmstate_doorbell_turn_begin(run->bell);
  do {
    Dispatch(run, {});
    if (run->stopped) return;  // the listener stopped (and maybe restarted) the watch
  } while (shmstate_doorbell_turn_again(run->bell));
  shmstate_error err{};
  if (shmstate_doorbell_turn_end(run->bell, nullptr, &err) != SHMSTATE_OK) {
    // The entry was taken away (E_CLOSED), or the store was retired after this turn
    // delivered its last version (E_RETIRED): this doorbell will not ring again. Say so
    // once.
    uv_poll_stop(handle);
    Dispatch(run, {MakeShmStateError(Napi::Env(run->env), err).Value()});
  }
}

void OnClosed(uv_handle_t* handle) {
  auto* run = static_cast<DoorbellRun*>(handle->data);
  if (run->finishing_hook != nullptr) napi_remove_async_cleanup_hook(run->finishing_hook);
  delete run;
}

}  // namespace

DoorbellWatch::DoorbellWatch(shmstate_segment* segment) : segment_(segment) {}

DoorbellWatch::~DoorbellWatch() { Stop(); }

bool DoorbellWatch::Start(Napi::Env env, Napi::Function callback, shmstate_error* err) {
  if (run_ != nullptr) return true;
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    err->code = SHMSTATE_E_SYSTEM;
    std::snprintf(err->message, sizeof err->message, "no event loop to poll a doorbell on");
    return false;
  }
  shmstate_doorbell* bell = nullptr;
  if (shmstate_doorbell_open(segment_, &bell, err) != SHMSTATE_OK) return false;
  auto run = std::make_unique<DoorbellRun>();
  run->env = env;
  run->bell = bell;
  int rc = uv_poll_init(loop, &run->poll, shmstate_doorbell_fd(bell));
  if (rc != 0) {
    shmstate_doorbell_close(bell);
    err->code = SHMSTATE_E_SYSTEM;
    std::snprintf(err->message, sizeof err->message, "cannot poll the doorbell: %s",
                  uv_strerror(rc));
    return false;
  }
  run->poll.data = run.get();
  rc = uv_poll_start(&run->poll, UV_READABLE, OnReadable);
  if (rc != 0) {
    shmstate_doorbell_close(bell);
    run->bell = nullptr;
    // The initialised handle belongs to the loop now: close it, the callback frees it.
    uv_close(reinterpret_cast<uv_handle_t*>(&run.release()->poll), OnClosed);
    err->code = SHMSTATE_E_SYSTEM;
    std::snprintf(err->message, sizeof err->message, "cannot poll the doorbell: %s",
                  uv_strerror(rc));
    return false;
  }
  run->callback = Napi::Persistent(callback);
  run->context = std::make_unique<Napi::AsyncContext>(env, "shmstate.doorbell");
  if (napi_add_async_cleanup_hook(env, OnEnvCleanup, this, &run->cleanup_hook) != napi_ok) {
    run->cleanup_hook = nullptr;
  }
  run_ = run.release();
  return true;
}

void DoorbellWatch::Stop() { StopRun(nullptr); }

void DoorbellWatch::StopRun(napi_async_cleanup_hook_handle finishing_hook) {
  if (run_ == nullptr) {
    // Nothing left to close: a teardown hook completes at once.
    if (finishing_hook != nullptr) napi_remove_async_cleanup_hook(finishing_hook);
    return;
  }
  DoorbellRun* run = run_;
  run_ = nullptr;
  run->stopped = true;
  if (finishing_hook != nullptr) {
    // Teardown is running the hook: it is removed once the handle has closed.
    run->finishing_hook = finishing_hook;
  } else if (run->cleanup_hook != nullptr) {
    napi_remove_async_cleanup_hook(run->cleanup_hook);
  }
  run->cleanup_hook = nullptr;
  // uv_close stops the poll and takes the fd out of epoll before it returns, so the socket
  // can be closed right after; the handle's memory lives until OnClosed.
  uv_close(reinterpret_cast<uv_handle_t*>(&run->poll), OnClosed);
  shmstate_doorbell_close(run->bell);
  run->bell = nullptr;
  if (!run->dispatching) run->ReleaseJs();
}

void DoorbellWatch::OnEnvCleanup(napi_async_cleanup_hook_handle hook, void* watch) {
  static_cast<DoorbellWatch*>(watch)->StopRun(hook);
}
