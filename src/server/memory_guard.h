// The server's last line against SQL that would take all the memory.
//
// DuckDB's memory_limit bounds its buffer pool, not every allocation: a
// window that builds a list per row, or a huge list literal, allocates with
// plain `new` inside one operator that never looks at interrupts, and can
// take the machine in seconds (the kernel then kills tarn, and everything
// it was serving with it). The guard watches the process's resident memory
// every 10 ms; while it is over the limit, `operator new` on a thread that
// runs queries (marked with SetQueryThread) throws std::bad_alloc, which
// fails that query inside DuckDB, frees its memory and leaves every other
// thread alone. Threads that serve requests are never refused.
//
// This file also replaces the global operator new and delete (malloc and
// free underneath, as libstdc++'s are), in every build but the sanitizers'
// (which bring their own).
#pragma once

#include <cstdint>

namespace tarn::memory_guard {

// Starts watching (once; later calls change the limit). 0 stops refusing.
void Start(uint64_t limit_bytes);
// Marks or unmarks the calling thread as one whose allocations may be
// refused while the process is over the limit.
void SetQueryThread(bool refusable);
// Whether the process was over the limit at the last look.
bool OverLimit();
// How many allocations have been refused since the process started.
uint64_t Refusals();
// The limit, in bytes.
uint64_t Limit();

}  // namespace tarn::memory_guard
