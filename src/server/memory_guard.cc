#include "server/memory_guard.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <thread>

namespace tarn::memory_guard {
namespace {

std::atomic<uint64_t> g_limit{0};
std::atomic<uint64_t> g_refusals{0};
std::atomic<bool> g_over{false};
thread_local bool tl_query_thread = false;

uint64_t ReadResident() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long pages_total = 0, pages_resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &pages_total, &pages_resident);
  std::fclose(f);
  return n == 2 ? pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

void Watch() {
  while (true) {
    const uint64_t resident = ReadResident();
    const uint64_t limit = g_limit.load(std::memory_order_relaxed);
    g_over.store(limit > 0 && resident > limit, std::memory_order_relaxed);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

void Start(uint64_t limit_bytes) {
  g_limit.store(limit_bytes);
  static std::once_flag started;
  // The watcher lives as long as the process: a detached thread that only
  // reads /proc and stores atomics.
  std::call_once(started, [] { std::thread(Watch).detach(); });
}

void SetQueryThread(bool refusable) { tl_query_thread = refusable; }
bool OverLimit() { return g_over.load(std::memory_order_relaxed); }
uint64_t Refusals() { return g_refusals.load(std::memory_order_relaxed); }
uint64_t Limit() { return g_limit.load(std::memory_order_relaxed); }

// Called by every operator new below: inline, two loads in the common case.
inline bool Refuse() {
  if (!tl_query_thread || !g_over.load(std::memory_order_relaxed)) return false;
  g_refusals.fetch_add(1, std::memory_order_relaxed);
  return true;
}

}  // namespace tarn::memory_guard

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)

namespace {

void* Allocate(std::size_t n) {
  if (tarn::memory_guard::Refuse()) throw std::bad_alloc();
  if (n == 0) n = 1;
  while (true) {
    if (void* p = std::malloc(n)) return p;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* AllocateAligned(std::size_t n, std::align_val_t align) {
  if (tarn::memory_guard::Refuse()) throw std::bad_alloc();
  std::size_t alignment = static_cast<std::size_t>(align);
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  void* p = nullptr;
  if (posix_memalign(&p, alignment, n == 0 ? 1 : n) != 0) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t n) { return Allocate(n); }
void* operator new[](std::size_t n) { return Allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return Allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a) { return AllocateAligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return AllocateAligned(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

#endif
