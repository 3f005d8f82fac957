// openWait(name, timeoutMs, trust?, readOnly?) -> Promise<NativeSegment>:
// shmstate_segment_open_wait_with on a libuv worker thread, so the event loop keeps running while a
// subscriber waits for its publisher. The wait sleeps in poll() (inotify on /dev/shm), and so holds
// one thread of the libuv pool for its length; the segment is wrapped back on the main thread.
#include <cmath>
#include <cstdint>
#include <ctime>

#include "glue_arguments.h"
#include "segment_wrap.h"
#include "throw_error.h"

namespace {

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

class OpenWaitWorker : public Napi::AsyncWorker {
 public:
  OpenWaitWorker(Napi::Env env, std::string name, uint64_t timeout_ns,
                 const shmstate_open_options& options, std::string trust)
      : Napi::AsyncWorker(env, "shmstate.openWait"),
        deferred_(Napi::Promise::Deferred::New(env)),
        name_(std::move(name)),
        timeout_ns_(timeout_ns),
        options_(options),
        trust_(std::move(trust)) {
    options_.trust = options.trust != nullptr ? trust_.c_str() : nullptr;  // our own copy
  }

  ~OpenWaitWorker() override { shmstate_segment_close(segment_); }  // unless handed out

  Napi::Promise Promise() const { return deferred_.Promise(); }

  // A signal that lands on this thread cuts the wait short (E_INTERRUPTED): go on with
  // the time left; JS handles its signals on the main thread.
  void Execute() override {
    uint64_t start = MonotonicNs();
    for (;;) {
      uint64_t left = timeout_ns_;
      if (timeout_ns_ != SHMSTATE_WAIT_FOREVER) {
        uint64_t waited = MonotonicNs() - start;
        left = waited >= timeout_ns_ ? 0 : timeout_ns_ - waited;
      }
      rc_ = shmstate_segment_open_wait_with(name_.c_str(), &options_, left, &segment_, &err_);
      if (rc_ != SHMSTATE_E_INTERRUPTED) return;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (rc_ != SHMSTATE_OK) {
      deferred_.Reject(MakeShmStateError(env, err_).Value());
      return;
    }
    shmstate_segment* segment = segment_;
    segment_ = nullptr;  // Wrap owns it now, or closes it if it throws
    try {
      deferred_.Resolve(SegmentWrap::Wrap(env, segment));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string name_;
  uint64_t timeout_ns_;
  shmstate_open_options options_;
  std::string trust_;
  shmstate_segment* segment_ = nullptr;
  shmstate_error err_{};
  int rc_ = SHMSTATE_OK;
};

}  // namespace

// openWait(name, timeoutMs, trust?, readOnly?): timeoutMs a finite number >= 0 or Infinity,
// checked in TS; trust and readOnly as for open().
Napi::Value SegmentWrap::OpenWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = NameArgument(info);
  double ms = info[1].As<Napi::Number>().DoubleValue();
  uint64_t timeout_ns = SHMSTATE_WAIT_FOREVER;
  if (std::isfinite(ms) && ms * 1e6 < 1.8e19) {
    timeout_ns = ms <= 0 ? 0 : static_cast<uint64_t>(std::llround(ms * 1e6));
  }
  std::string trust;
  shmstate_open_options options = OpenOptionsArguments(info, 2, &trust);
  auto* worker = new OpenWaitWorker(env, std::move(name), timeout_ns, options, std::move(trust));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}
