// FlatIndex<V>: an open-addressing hash map from string_view to V, for the planner's joins.
//
// P1 (a million users in seconds) is bound by memory latency: node-based
// std::unordered_map costs a bucket miss, a node miss and a key miss per lookup and a free
// per node at the end. Here entries sit in one array (linear probing, the hash kept to
// skip most key compares) and there is no erase. Keys are views: the caller keeps the
// viewed strings alive for the index's lifetime. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace telsync::plan_detail {

template <typename V>
class FlatIndex {
 public:
  void Reserve(size_t n) {
    size_t capacity = 16;
    while (capacity * 7 < n * 10) capacity *= 2;
    if (capacity > slots_.size()) Rehash(capacity);
  }

  // The value of `key`, or nullptr.
  const V* Find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    const uint32_t h = Hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.hash == h && s.key == key) return &s.value;
    }
  }
  V* Find(std::string_view key) {
    return const_cast<V*>(static_cast<const FlatIndex*>(this)->Find(key));
  }

  // The value of `key`, inserted default-constructed when absent; `inserted` tells which.
  V& FindOrInsert(std::string_view key, bool* inserted = nullptr) {
    if ((size_ + 1) * 10 > slots_.size() * 7) Rehash(slots_.empty() ? 16 : slots_.size() * 2);
    const uint32_t h = Hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (!s.used) {
        s.used = 1;
        s.hash = h;
        s.key = key;
        ++size_;
        if (inserted != nullptr) *inserted = true;
        return s.value;
      }
      if (s.hash == h && s.key == key) {
        if (inserted != nullptr) *inserted = false;
        return s.value;
      }
    }
  }

  size_t size() const { return size_; }

 private:
  // 32 bytes for the planner's values: two slots per cache line.
  struct Slot {
    uint32_t hash = 0;
    uint32_t used = 0;
    std::string_view key;
    V value{};
  };

  static uint32_t Hash(std::string_view key) {
    const uint64_t h = std::hash<std::string_view>{}(key);
    return static_cast<uint32_t>(h ^ (h >> 32));
  }

  void Rehash(size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (Slot& s : old) {
      if (!s.used) continue;
      for (size_t i = s.hash & mask_;; i = (i + 1) & mask_) {
        if (!slots_[i].used) {
          slots_[i] = std::move(s);
          break;
        }
      }
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace telsync::plan_detail
