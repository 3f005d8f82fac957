// NativeSegment methods: argument translation and error mapping around the C core. Every
// call is synchronous (reads and commits take microseconds); only the watcher is async.
#include "segment_wrap.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <new>
#include <string>

#include "addon.h"
#include "glue_arguments.h"
#include "throw_error.h"
#include "utf8_check.h"

namespace {

// A store id as 16 lowercase hex digits: ids are 64 random bits, more than a double holds.
Napi::String StoreIdString(Napi::Env env, uint64_t store_id) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, store_id);
  return Napi::String::New(env, text);
}

// Commits `length` bytes as the next version, or as exactly `version` when `at` is set.
int CommitBytes(shmstate_segment* segment, const void* data, size_t length, uint64_t expected,
                bool at, uint64_t version, uint64_t* out, shmstate_error* err) {
  if (!at) return shmstate_segment_commit(segment, data, length, expected, out, err);
  return shmstate_segment_commit_at(segment, data, length, expected, version, out, err);
}

}  // namespace

Napi::Function SegmentWrap::DefineClass(Napi::Env env) {
  return ObjectWrap<SegmentWrap>::DefineClass(
      env, "NativeSegment",
      {
          StaticMethod("create", &SegmentWrap::Create),
          StaticMethod("open", &SegmentWrap::Open),
          StaticMethod("openOrCreate", &SegmentWrap::OpenOrCreate),
          StaticMethod("openWait", &SegmentWrap::OpenWait),
          StaticMethod("unlink", &SegmentWrap::Unlink),
          InstanceMethod("name", &SegmentWrap::Name),
          InstanceMethod("capacity", &SegmentWrap::Capacity),
          InstanceMethod("readOnly", &SegmentWrap::ReadOnly),
          InstanceMethod("storeId", &SegmentWrap::StoreId),
          InstanceMethod("version", &SegmentWrap::Version),
          InstanceMethod("read", &SegmentWrap::Read),
          InstanceMethod("readText", &SegmentWrap::ReadText),
          InstanceMethod("commit", &SegmentWrap::Commit),
          InstanceMethod("commitText", &SegmentWrap::CommitText),
          InstanceMethod("stats", &SegmentWrap::Stats),
          InstanceMethod("ringInfo", &SegmentWrap::RingInfo),
          InstanceMethod("commitPatch", &SegmentWrap::CommitPatch),
          InstanceMethod("readPatches", &SegmentWrap::ReadPatches),
          InstanceMethod("readDelta", &SegmentWrap::ReadDelta),
          InstanceMethod("attach", &SegmentWrap::Attach),
          InstanceMethod("setRole", &SegmentWrap::SetRole),
          InstanceMethod("attached", &SegmentWrap::Attached),
          InstanceMethod("setLockTimeout", &SegmentWrap::SetLockTimeout),
          InstanceMethod("watchStart", &SegmentWrap::WatchStart),
          InstanceMethod("watchStop", &SegmentWrap::WatchStop),
          InstanceMethod("close", &SegmentWrap::Close),
      });
}

SegmentWrap::SegmentWrap(const Napi::CallbackInfo& info) : ObjectWrap<SegmentWrap>(info) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    ThrowShmStateCode(info.Env(), SHMSTATE_E_INVALID,
                      "NativeSegment is created by create(), open() or openOrCreate()");
  }
  segment_ = info[0].As<Napi::External<shmstate_segment>>().Data();
  doorbell_ = std::make_unique<DoorbellWatch>(segment_);
  watcher_ = std::make_unique<Watcher>(segment_);
}

SegmentWrap::~SegmentWrap() { Release(); }

void SegmentWrap::Release() {
  // Both paths use the segment: unregister the doorbell and join the watcher thread
  // before the core unmaps it.
  doorbell_.reset();
  watcher_.reset();
  shmstate_segment_close(segment_);
  segment_ = nullptr;
}

Napi::Object SegmentWrap::Wrap(Napi::Env env, shmstate_segment* segment) {
  ShmStateAddon* addon = env.GetInstanceData<ShmStateAddon>();
  try {
    return addon->segment_constructor.New({Napi::External<shmstate_segment>::New(env, segment)});
  } catch (...) {
    shmstate_segment_close(segment);
    throw;
  }
}

shmstate_segment* SegmentWrap::Handle(Napi::Env env) const {
  if (segment_ == nullptr) ThrowShmStateCode(env, SHMSTATE_E_CLOSED, "the segment is closed");
  return segment_;
}

namespace {

// The creation options of create() and openOrCreate(): arguments 1..7 are capacity, mode,
// initial (read by the caller), version, ringEntries, ringPatchMax and selfCleaning. An undefined
// ringEntries means the core's default ring for the capacity, 0 no ring; an undefined
// ringPatchMax with ringEntries given means the default patch size.
shmstate_create_options CreateOptionsArguments(const Napi::CallbackInfo& info) {
  shmstate_create_options options{};
  options.capacity = static_cast<uint64_t>(NumberArgument(info, 1, "capacity"));
  options.mode = static_cast<uint32_t>(NumberArgument(info, 2, "mode"));
  options.initial_version = static_cast<uint64_t>(NumberArgument(info, 4, "version"));
  shmstate_ring_default(&options);
  if (info.Length() > 5 && !info[5].IsUndefined()) {
    double entries = NumberArgument(info, 5, "ringEntries");
    // Out of range for the core's u32: refused by it as too many.
    options.ring_entries = entries > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(entries);
    if (options.ring_entries == 0) options.ring_patch_max = 0;
  }
  if (info.Length() > 6 && !info[6].IsUndefined()) {
    options.ring_patch_max = static_cast<uint64_t>(NumberArgument(info, 6, "ringPatchMax"));
  }
  // selfCleaning, a boolean checked in TS.
  options.self_cleaning = info.Length() > 7 && info[7].ToBoolean().Value() ? 1 : 0;
  // group: a name or a decimal gid as a string (TS turns a number into one), or undefined.
  if (info.Length() > 8 && info[8].IsString()) {
    std::string group = info[8].As<Napi::String>().Utf8Value();
    shmstate_error err{};
    if (shmstate_group_parse(group.c_str(), &options.group, &err) != SHMSTATE_OK) {
      ThrowShmStateError(info.Env(), err);
    }
    options.has_group = 1;
  }
  return options;
}

}  // namespace

// create(name, capacity, mode, initial, version, ringEntries?, ringPatchMax?): the store
// starts at `version` (>= 1), with the ring CreateOptionsArguments describes.
Napi::Value SegmentWrap::Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = NameArgument(info);
  Napi::Uint8Array initial = BytesArgument(info, 3, "initial");
  shmstate_create_options options = CreateOptionsArguments(info);
  shmstate_segment* segment = nullptr;
  shmstate_error err{};
  if (shmstate_segment_create_with(name.c_str(), &options, initial.Data(), initial.ByteLength(),
                                   &segment, &err) != SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  return Wrap(env, segment);
}

// open(name, trust?, readOnly?)
Napi::Value SegmentWrap::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = NameArgument(info);
  std::string trust;
  shmstate_open_options options = OpenOptionsArguments(info, 1, &trust);
  shmstate_segment* segment = nullptr;
  shmstate_error err{};
  if (shmstate_segment_open_with(name.c_str(), &options, &segment, &err) != SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  return Wrap(env, segment);
}

// openOrCreate(name, capacity, mode, initial, version, ringEntries?, ringPatchMax?) ->
// { segment, created }; the version and the ring are those of a store this call creates.
Napi::Value SegmentWrap::OpenOrCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = NameArgument(info);
  Napi::Uint8Array initial = BytesArgument(info, 3, "initial");
  shmstate_create_options options = CreateOptionsArguments(info);
  shmstate_segment* segment = nullptr;
  int created = 0;
  shmstate_error err{};
  if (shmstate_segment_open_or_create_with(name.c_str(), &options, initial.Data(),
                                           initial.ByteLength(), &segment, &created,
                                           &err) != SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("segment", Wrap(env, segment));
  result.Set("created", Napi::Boolean::New(env, created != 0));
  return result;
}

// unlink(name)
Napi::Value SegmentWrap::Unlink(const Napi::CallbackInfo& info) {
  std::string name = NameArgument(info);
  shmstate_error err{};
  if (shmstate_segment_unlink(name.c_str(), &err) != SHMSTATE_OK) {
    ThrowShmStateError(info.Env(), err);
  }
  return info.Env().Undefined();
}

Napi::Value SegmentWrap::Name(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), shmstate_segment_name(Handle(info.Env())));
}

Napi::Value SegmentWrap::Capacity(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(shmstate_segment_capacity(Handle(info.Env()))));
}

Napi::Value SegmentWrap::ReadOnly(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), shmstate_segment_read_only(Handle(info.Env())) != 0);
}

Napi::Value SegmentWrap::StoreId(const Napi::CallbackInfo& info) {
  return StoreIdString(info.Env(), shmstate_segment_store_id(Handle(info.Env())));
}

// Versions start at 1 (or the version given at creation, a safe integer) and grow by one
// per commit, or jump to a safe integer given to commit: they stay exact doubles (below
// 2^53) for longer than any process lives.
Napi::Value SegmentWrap::Version(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(shmstate_segment_version(Handle(info.Env()))));
}

// read() -> { version, bytes }
Napi::Value SegmentWrap::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_segment* segment = Handle(env);
  uint8_t* scratch = Scratch(env, shmstate_segment_capacity(segment));
  size_t length = 0;
  uint64_t version = 0;
  shmstate_error err{};
  if (shmstate_segment_read(segment, scratch, scratch_size_, &length, &version, &err) !=
      SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("version", Napi::Number::New(env, static_cast<double>(version)));
  result.Set("bytes", Napi::Buffer<uint8_t>::Copy(env, scratch, length));
  return result;
}

// readText(versionOut: Float64Array) -> the payload as a string; the version goes into
// versionOut[0]. The hot read path of the store: a string straight from the bytes costs a
// fraction of a Buffer plus a result object (measured: ~4.5 us -> under 1 us for 64 B),
// and JSON.parse takes the string as it is. The bytes are untrusted, so they are checked
// as strict UTF-8 first: V8 would turn malformed input into U+FFFD without a word.
Napi::Value SegmentWrap::ReadText(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_segment* segment = Handle(env);
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::TypedArray>().ElementLength() < 1) {
    ThrowInvalid(info, 0, "versionOut", "a Float64Array of length 1");
  }
  double* version_out = info[0].As<Napi::Float64Array>().Data();
  uint8_t* scratch = Scratch(env, shmstate_segment_capacity(segment));
  size_t length = 0;
  uint64_t version = 0;
  shmstate_error err{};
  if (shmstate_segment_read(segment, scratch, scratch_size_, &length, &version, &err) !=
      SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  if (!IsValidUtf8(scratch, length)) {
    std::string message = "the state of version " + std::to_string(version) + " (" +
                          std::to_string(length) + " bytes) is not valid UTF-8";
    ThrowShmStateCode(env, SHMSTATE_E_CORRUPT, message.c_str());
  }
  *version_out = static_cast<double>(version);
  return Napi::String::New(env, reinterpret_cast<const char*>(scratch), length);
}

// commit(bytes, expectedVersion, version?) -> new version; expectedVersion 0 commits
// unconditionally; a version (absent: the next one) is published exactly: the core
// refuses 0 (E_INVALID) and one not above the published version (E_CONFLICT).
Napi::Value SegmentWrap::Commit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_segment* segment = Handle(env);
  Napi::Uint8Array bytes = BytesArgument(info, 0, "bytes");
  auto expected = static_cast<uint64_t>(NumberArgument(info, 1, "expectedVersion"));
  bool at = false;
  uint64_t at_version = VersionArgument(info, 2, "version", &at);
  uint64_t version = 0;
  shmstate_error err{};
  if (CommitBytes(segment, bytes.Data(), bytes.ByteLength(), expected, at, at_version, &version,
                  &err) != SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  return Napi::Number::New(env, static_cast<double>(version));
}

// commitText(text, expectedVersion, version?) -> new version: commits the UTF-8 encoding of
// `text`; expectedVersion and version as for commit.
// The text goes straight from the V8 string into the scratch buffer, then into the slot:
// no Buffer is allocated in JS (Buffer.from(text) costs about as much as the commit).
Napi::Value SegmentWrap::CommitText(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_segment* segment = Handle(env);
  if (info.Length() < 1 || !info[0].IsString()) ThrowInvalid(info, 0, "text", "a string");
  napi_value text = info[0];
  auto expected = static_cast<uint64_t>(NumberArgument(info, 1, "expectedVersion"));
  bool at = false;
  uint64_t at_version = VersionArgument(info, 2, "version", &at);
  uint8_t* scratch = nullptr;
  size_t length = StateTextToScratch(env, text, &scratch);
  uint64_t version = 0;
  shmstate_error err{};
  if (CommitBytes(segment, scratch, length, expected, at, at_version, &version, &err) !=
      SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  return Napi::Number::New(env, static_cast<double>(version));
}

size_t SegmentWrap::StateTextToScratch(Napi::Env env, napi_value text, uint8_t** out) {
  uint64_t capacity = shmstate_segment_capacity(segment_);
  // One byte more than the capacity for the NUL napi writes after the text.
  uint8_t* scratch = Scratch(env, capacity + 1);
  size_t length = 0;
  NAPI_THROW_IF_FAILED(env,
                       napi_get_value_string_utf8(env, text, reinterpret_cast<char*>(scratch),
                                                  capacity + 1, &length),
                       0);
  // napi truncates a text that does not fit at a character boundary, so a length within
  // one character (4 bytes) of the capacity may be a cut: measure the whole text then.
  if (length + 4 > capacity) {
    size_t whole = 0;
    NAPI_THROW_IF_FAILED(env, napi_get_value_string_utf8(env, text, nullptr, 0, &whole), 0);
    if (whole > capacity) {
      std::string message =
          "state is " + std::to_string(whole) + " bytes; capacity is " + std::to_string(capacity);
      ThrowShmStateCode(env, SHMSTATE_E_CAPACITY, message.c_str());
    }
  }
  *out = scratch;
  return length;
}

uint8_t* SegmentWrap::Scratch(Napi::Env env, size_t size) {
  if (scratch_size_ < size) {
    // new[] without () leaves the bytes uninitialised: the pages of a large buffer are
    // only made resident by what is copied into them, so a segment of 1 GiB capacity
    // holding a small state costs the reader little memory, not a zero-filled GiB.
    scratch_.reset(new (std::nothrow) uint8_t[size]);
    scratch_size_ = scratch_ ? size : 0;
    if (!scratch_) {
      std::string message = "cannot allocate " + std::to_string(size) + " bytes to copy a state";
      ThrowShmStateCode(env, SHMSTATE_E_NOMEM, message.c_str());
    }
  }
  return scratch_.get();
}

Napi::Value SegmentWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  shmstate_stats stats{};
  shmstate_error err{};
  if (shmstate_segment_stats(Handle(env), &stats, &err) != SHMSTATE_OK) {
    ThrowShmStateError(env, err);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("version", Napi::Number::New(env, static_cast<double>(stats.version)));
  result.Set("capacity", Napi::Number::New(env, static_cast<double>(stats.capacity)));
  result.Set("commits", Napi::Number::New(env, static_cast<double>(stats.commits)));
  result.Set("conflicts", Napi::Number::New(env, static_cast<double>(stats.conflicts)));
  result.Set("lockRecoveries", Napi::Number::New(env, static_cast<double>(stats.lock_recoveries)));
  result.Set("waiters", Napi::Number::New(env, stats.waiters));
  result.Set("doorbells", Napi::Number::New(env, stats.doorbells));
  result.Set("doorbellReclaims",
             Napi::Number::New(env, static_cast<double>(stats.doorbell_reclaims)));
  result.Set("layoutVersion", Napi::Number::New(env, stats.layout_version));
  result.Set("storeId", StoreIdString(env, stats.store_id));
  // The word is a number like the other counters (exact while only the low 53 bits are
  // used); the mirror bit is also given as `mirror`, with its leader.
  result.Set("flags", Napi::Number::New(env, static_cast<double>(stats.flags)));
  result.Set("checkpointVersion",
             Napi::Number::New(env, static_cast<double>(stats.checkpoint_version)));
  result.Set("ringEntries", Napi::Number::New(env, stats.ring_entries));
  result.Set("ringPatchMax", Napi::Number::New(env, static_cast<double>(stats.ring_patch_max)));
  result.Set("ringPatchBytes", Napi::Number::New(env, static_cast<double>(stats.ring_patch_bytes)));
  result.Set("lastCommitNs", Napi::Number::New(env, static_cast<double>(stats.last_commit_ns)));
  bool mirror = (stats.flags & SHMSTATE_FLAG_MIRROR) != 0;
  result.Set("mirror", Napi::Boolean::New(env, mirror));
  result.Set("leader", mirror ? Napi::Value(Napi::String::New(env, stats.leader)) : env.Null());
  return result;
}

Napi::Value SegmentWrap::SetLockTimeout(const Napi::CallbackInfo& info) {
  shmstate_segment* segment = Handle(info.Env());
  double ms = NumberArgument(info, 0, "ms");
  if (ms > UINT32_MAX) ThrowInvalid(info, 0, "ms", "an integer in [0, 4294967295]");
  auto timeout_ms = static_cast<uint32_t>(ms);
  shmstate_segment_set_lock_timeout(segment, timeout_ms);
  return info.Env().Undefined();
}

// watchStart(callback, mechanism) -> the mechanism in use, "doorbell" or "thread".
// callback() after changes, callback(error) if notification fails for good. "doorbell"
// falls back to the thread when no doorbell can be registered (a full table, no socket).
Napi::Value SegmentWrap::WatchStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle(env);
  if (info.Length() < 1 || !info[0].IsFunction()) ThrowInvalid(info, 0, "callback", "a function");
  std::string mechanism = "doorbell";
  if (info.Length() >= 2 && !info[1].IsUndefined()) {
    if (info[1].IsString()) mechanism = info[1].As<Napi::String>().Utf8Value();
    if (!info[1].IsString() || (mechanism != "doorbell" && mechanism != "thread")) {
      ThrowInvalid(info, 1, "mechanism", "\"doorbell\" or \"thread\"");
    }
  }
  if (doorbell_->active()) return Napi::String::New(env, "doorbell");
  if (watcher_->active()) return Napi::String::New(env, "thread");
  Napi::Function callback = info[0].As<Napi::Function>();
  shmstate_error err{};
  if (mechanism == "doorbell" && doorbell_->Start(env, callback, &err)) {
    return Napi::String::New(env, "doorbell");
  }
  watcher_->Start(env, callback);
  return Napi::String::New(env, "thread");
}

Napi::Value SegmentWrap::WatchStop(const Napi::CallbackInfo& info) {
  if (doorbell_) doorbell_->Stop();
  if (watcher_) watcher_->Stop();
  return info.Env().Undefined();
}

// Idempotent: stops the watcher, then unmaps.
Napi::Value SegmentWrap::Close(const Napi::CallbackInfo& info) {
  Release();
  scratch_.reset();
  scratch_size_ = 0;
  patch_bytes_.reset();
  patch_entries_.clear();
  return info.Env().Undefined();
}
