#include "server/http/signals.h"

#include <pthread.h>
#include <signal.h>

namespace telsync::http {
namespace {

// SIGUSR2 only wakes the watcher when it is destroyed without a signal.
sigset_t WatchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR2);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher(std::function<void(int)> on_signal) {
  sigset_t set = WatchedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([set, on_signal = std::move(on_signal)] {
    int signal = 0;
    if (sigwait(&set, &signal) == 0 && signal != SIGUSR2) on_signal(signal);
  });
}

SignalWatcher::~SignalWatcher() {
  if (thread_.joinable()) {
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
  }
}

}  // namespace telsync::http
