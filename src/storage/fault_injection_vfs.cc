#include "storage/fault_injection_vfs.h"

#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>

namespace tarn::storage {

using Faults = FaultInjectionVfs::Faults;

struct FaultInjectionVfsAccess {
  static Faults* faults(FaultInjectionVfs* v) { return &v->faults_; }
  static sqlite3_vfs* base(FaultInjectionVfs* v) { return v->base_; }
};

namespace {

// Our file: SQLite's header, the switches, then the unix VFS's own file
// object (szOsFile covers both).
struct FaultyFile {
  sqlite3_file base;
  Faults* faults;
};

sqlite3_file* Real(sqlite3_file* f) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<FaultyFile*>(f) + 1);
}
Faults& FaultsOf(sqlite3_file* f) { return *reinterpret_cast<FaultyFile*>(f)->faults; }

int Inject(Faults& faults, int rc) {
  faults.injected.fetch_add(1, std::memory_order_relaxed);
  return rc;
}

int Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }

int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  if (FaultsOf(f).read_error.load()) return Inject(FaultsOf(f), SQLITE_IOERR_READ);
  return Real(f)->pMethods->xRead(Real(f), buf, n, off);
}

int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (FaultsOf(f).no_space.load()) return Inject(FaultsOf(f), SQLITE_FULL);
  if (FaultsOf(f).write_error.load()) return Inject(FaultsOf(f), SQLITE_IOERR_WRITE);
  return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}

int Sync(sqlite3_file* f, int flags) {
  if (FaultsOf(f).fail_sync.load()) return Inject(FaultsOf(f), SQLITE_IOERR_FSYNC);
  return Real(f)->pMethods->xSync(Real(f), flags);
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, page_size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }

int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  // No memory-mapped pages while reads fail: SQLite then reads with xRead.
  if (FaultsOf(f).read_error.load()) {
    *out = nullptr;
    return SQLITE_OK;
  }
  return Real(f)->pMethods->xFetch(Real(f), off, n, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, p);
}

const sqlite3_io_methods kMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* self = static_cast<FaultInjectionVfs*>(vfs->pAppData);
  sqlite3_vfs* base = FaultInjectionVfsAccess::base(self);
  auto* file = reinterpret_cast<FaultyFile*>(f);
  file->faults = FaultInjectionVfsAccess::faults(self);
  sqlite3_file* real = Real(f);
  real->pMethods = nullptr;
  int rc = base->xOpen(base, name, real, flags, out_flags);
  // SQLite calls xClose only on files whose pMethods is set.
  file->base.pMethods = real->pMethods != nullptr ? &kMethods : nullptr;
  return rc;
}

}  // namespace

FaultInjectionVfs::FaultInjectionVfs(std::string name, bool make_default)
    : name_(std::move(name)), vfs_(std::make_unique<sqlite3_vfs>()) {
  base_ = sqlite3_vfs_find("unix");
  if (base_ == nullptr || base_->iVersion < 1) {
    std::fprintf(stderr, "FaultInjectionVfs: SQLite has no unix VFS\n");
    std::abort();
  }
  *vfs_ = *base_;
  vfs_->zName = name_.c_str();
  vfs_->szOsFile = static_cast<int>(sizeof(FaultyFile)) + base_->szOsFile;
  vfs_->xOpen = Open;
  vfs_->pAppData = this;
  vfs_->pNext = nullptr;
  sqlite3_vfs_register(vfs_.get(), make_default ? 1 : 0);
}

FaultInjectionVfs::~FaultInjectionVfs() { sqlite3_vfs_unregister(vfs_.get()); }

void FaultInjectionVfs::SetSyncFailure(bool on) { faults_.fail_sync.store(on); }
void FaultInjectionVfs::SetNoSpace(bool on) { faults_.no_space.store(on); }
void FaultInjectionVfs::SetWriteError(bool on) { faults_.write_error.store(on); }
void FaultInjectionVfs::SetReadError(bool on) { faults_.read_error.store(on); }

void FaultInjectionVfs::ClearFaults() {
  faults_.fail_sync.store(false);
  faults_.no_space.store(false);
  faults_.write_error.store(false);
  faults_.read_error.store(false);
}

uint64_t FaultInjectionVfs::injected_faults() const { return faults_.injected.load(); }

}  // namespace tarn::storage
