// FaultInjectionVfs: an SQLite VFS that forwards to SQLite's "unix" VFS and
// fails on demand. MetaStore does its I/O through SQLite, not through Env,
// so this is how tests make a metadata commit meet a dying or full disk
// (FaultInjectionEnv does the same for blobs). Test builds only: it lives in
// the tarn_storage_testing library.
//
//   FaultInjectionVfs vfs;              // registered as SQLite's default
//   auto meta = MetaStore::Open(...);   // opened after: its files are faulty
//   vfs.SetSyncFailure(true);           // every xSync -> SQLITE_IOERR_FSYNC
//   EXPECT_EQ(meta->Write(...).code(), Code::kIOError);
//
// Only databases opened while the VFS is the default (or by its name) are
// affected; files keep the VFS they were opened with, so the VFS must
// outlive them: destroy the MetaStore first. Switches are atomics, flipped
// from any thread, read when the faulting call is made.
//
// Faults look like the OS's as SQLite's unix VFS reports them:
//   sync failure   xSync  -> SQLITE_IOERR_FSYNC (fdatasync EIO)
//   no space       xWrite -> SQLITE_FULL        (write ENOSPC)
//   write error    xWrite -> SQLITE_IOERR_WRITE (write EIO)
//   read error     xRead  -> SQLITE_IOERR_READ  (pread EIO), and no mmap
//                  pages are handed out, so reads cannot bypass xRead
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

struct sqlite3_vfs;

namespace tarn::storage {

class FaultInjectionVfs {
 public:
  // Registers the VFS under `name` (unique per live instance), as SQLite's
  // default VFS when make_default.
  explicit FaultInjectionVfs(std::string name = "tarn-fault-injection", bool make_default = true);
  // Unregisters; the previous default becomes the default again.
  ~FaultInjectionVfs();
  FaultInjectionVfs(const FaultInjectionVfs&) = delete;
  FaultInjectionVfs& operator=(const FaultInjectionVfs&) = delete;

  const std::string& name() const { return name_; }

  void SetSyncFailure(bool on);
  void SetNoSpace(bool on);
  void SetWriteError(bool on);
  void SetReadError(bool on);
  void ClearFaults();

  // How many errors this VFS has injected so far.
  uint64_t injected_faults() const;

  struct Faults {
    std::atomic<bool> fail_sync{false};
    std::atomic<bool> no_space{false};
    std::atomic<bool> write_error{false};
    std::atomic<bool> read_error{false};
    std::atomic<uint64_t> injected{0};
  };

 private:
  friend struct FaultInjectionVfsAccess;

  const std::string name_;
  Faults faults_;
  sqlite3_vfs* base_ = nullptr;  // SQLite's "unix" VFS, which does the I/O
  std::unique_ptr<sqlite3_vfs> vfs_;
};

}  // namespace tarn::storage
