// Graceful shutdown on SIGTERM / SIGINT for long-running commands (`telsync serve`).
//
// SignalWatcher blocks the two signals in the calling thread, so construct it in main()
// before any other thread starts (threads inherit the mask); a watcher thread then waits
// for them with sigwait and runs `on_signal` once, on that thread (not in a signal
// handler, so it may lock, log and call HttpServer::Shutdown). Destruction stops the
// watcher if no signal came.
#pragma once

#include <functional>
#include <thread>

namespace telsync::http {

class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int signal)> on_signal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  std::thread thread_;
};

}  // namespace telsync::http
