// Per-addon state: everything the glue keeps between calls lives here, one instance per
// Node environment (main thread or worker), never in statics.
#ifndef SHMSTATE_ADDON_ADDON_H
#define SHMSTATE_ADDON_ADDON_H

#include <napi.h>

class ShmStateAddon : public Napi::Addon<ShmStateAddon> {
 public:
  ShmStateAddon(Napi::Env env, Napi::Object exports);

  // The JS ShmStateError class handed over by initialize(); empty until then.
  Napi::FunctionReference error_class;
  // The NativeSegment constructor, used by the static factories to wrap a new handle.
  Napi::FunctionReference segment_constructor;

 private:
  Napi::Value Initialize(const Napi::CallbackInfo& info);
};

#endif  // SHMSTATE_ADDON_ADDON_H
