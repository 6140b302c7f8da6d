// The thread-safe Store that OpenStore and Database hand out (store.h "Thread safety"): a
// decorator over a backend, which is not thread-safe itself.
//
// Every call takes the store's recursive mutex for its duration, so the calls of one
// store run one at a time on the backend's one connection. The mutex is recursive because
// a thread may call the store again while it holds it: from a scan's callback, from
// RewriteSecrets' rewrite, and above all while it holds a MirrorWriter, which keeps the
// mutex locked for its owning thread from BeginMirrorWrite until it is committed or
// destroyed (the SCIM group commit runs each request's reads and nested writers inside one
// outer writer; other threads wait meanwhile, so none sees or joins that transaction).
// A MirrorWriter is therefore used and destroyed by the thread that opened it.
//
// Run locks (LockProfileRuns) also exclude the threads of this store from each other: a
// PostgreSQL session lock is re-entrant within its session, so two threads sharing one
// connection would both be granted it. The decorator keeps the profiles it holds, with
// the holder's note; another thread asking for one gets kConflict naming that holder
// (wait false) or waits for its release without holding the store (wait true).
#pragma once

#include <memory>

#include "store/store.h"

namespace telsync::store_detail {

// `backend` made safe to call from several threads at once.
std::unique_ptr<Store> MakeThreadSafe(std::unique_ptr<Store> backend);

}  // namespace telsync::store_detail
