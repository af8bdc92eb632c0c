#include "server/live/relay.h"

#include <utility>

#include "server/wire/binary.h"

namespace qc::gw {

namespace {

using binary::get_str;
using binary::get_varint;
using binary::put_str;
using binary::put_varint;
bool get_kind(std::string_view* in, TopicKind* k) {
  std::uint64_t v;
  if (!get_varint(in, &v) || v > static_cast<std::uint64_t>(TopicKind::kDisplay)) return false;
  *k = static_cast<TopicKind>(v);
  return true;
}
bool get_format(std::string_view* in, Format* f) {
  std::uint64_t v;
  if (!get_varint(in, &v) || v >= static_cast<std::uint64_t>(kFormatCount)) return false;
  *f = static_cast<Format>(v);
  return true;
}
void put_view(std::string* out, const RelayView& v) {
  put_varint(out, static_cast<std::uint64_t>(v.topic.kind));
  put_varint(out, static_cast<std::uint64_t>(v.format));
  put_str(out, v.topic.key);
  put_str(out, v.bytes ? std::string_view(*v.bytes) : std::string_view());
}
}  // namespace

bool read_view(std::string_view* in, TopicKind* kind, Format* format, std::string_view* key,
               std::string_view* bytes) {
  return get_kind(in, kind) && get_format(in, format) && get_str(in, key) && get_str(in, bytes);
}

namespace {

bool magic(std::string_view* in, std::string_view m) {
  if (in->substr(0, m.size()) != m) return false;
  in->remove_prefix(m.size());
  return true;
}

// Every view to the end of `in`, copied.
bool get_views(std::string_view in, std::vector<RelayView>* out) {
  out->clear();
  while (!in.empty()) {
    RelayView& v = out->emplace_back();
    std::string_view key, bytes;
    if (!read_view(&in, &v.topic.kind, &v.format, &key, &bytes)) return false;
    v.topic.key.assign(key);
    v.bytes = std::make_shared<const std::string>(bytes);
  }
  return true;
}
}  // namespace

std::string encode_views(const ViewsMessage& m) {
  std::string out = "QV1";
  put_varint(&out, static_cast<std::uint64_t>(m.partition));
  put_varint(&out, m.epoch);
  put_varint(&out, m.seq);
  put_varint(&out, m.published_us);
  for (const RelayView& v : m.views) put_view(&out, v);
  return out;
}

bool read_views_header(std::string_view* in, int* partition, std::uint64_t* epoch, std::uint64_t* seq,
                       std::uint64_t* published_us) {
  std::uint64_t p;
  if (!magic(in, "QV1") || !get_varint(in, &p) || p > 1u << 20 || !get_varint(in, epoch) ||
      !get_varint(in, seq) || !get_varint(in, published_us))
    return false;
  *partition = static_cast<int>(p);
  return true;
}

bool decode_views(std::string_view in, ViewsMessage* m) {
  if (!read_views_header(&in, &m->partition, &m->epoch, &m->seq, &m->published_us)) return false;
  return get_views(in, &m->views);
}

std::string encode_follow_answer(const FollowAnswer& a) {
  std::string out = "QF1";
  put_str(&out, a.error);
  put_str(&out, a.message);
  put_varint(&out, a.epoch);
  put_varint(&out, a.seq);
  put_varint(&out, a.topics.size());
  for (const Topic& t : a.topics) {
    put_varint(&out, static_cast<std::uint64_t>(t.kind));
    put_str(&out, t.key);
  }
  for (const RelayView& v : a.views) put_view(&out, v);
  return out;
}

bool decode_follow_answer(std::string_view in, FollowAnswer* a) {
  std::string_view error, message;
  std::uint64_t n;
  if (!magic(&in, "QF1") || !get_str(&in, &error) || !get_str(&in, &message) ||
      !get_varint(&in, &a->epoch) || !get_varint(&in, &a->seq) || !get_varint(&in, &n) || n > in.size())
    return false;
  a->error.assign(error);
  a->message.assign(message);
  a->topics.clear();
  for (std::uint64_t i = 0; i < n; ++i) {
    Topic t;
    std::string_view key;
    if (!get_kind(&in, &t.kind) || !get_str(&in, &key)) return false;
    t.key.assign(key);
    a->topics.push_back(std::move(t));
  }
  return get_views(in, &a->views);
}

std::string encode_unfollow(const Topic& t, Format f) {
  std::string out = "QU1";
  put_varint(&out, static_cast<std::uint64_t>(t.kind));
  put_varint(&out, static_cast<std::uint64_t>(f));
  put_str(&out, t.key);
  return out;
}

bool decode_unfollow(std::string_view in, Topic* t, Format* f) {
  std::string_view key;
  if (!magic(&in, "QU1") || !get_kind(&in, &t->kind) || !get_format(&in, f) || !get_str(&in, &key) ||
      !in.empty())
    return false;
  t->key.assign(key);
  return true;
}

Relays::Relays() {
  for (int f = 0; f < kFormatCount; ++f) out_[f] = std::make_shared<Collector>(static_cast<Format>(f));
}

void Relays::follow(Hub& hub, const Topic& topic, const std::string& session, Format f,
                    const std::string& node) {
  const Key k{topic.kind, topic.key, static_cast<int>(f)};
  ++by_node_[{node, k}];
  if (totals_[k]++ == 0) hub.add(topic, session, out_[static_cast<int>(f)]);
}

void Relays::unfollow(Hub& hub, const Topic& topic, Format f, const std::string& node) {
  const Key k{topic.kind, topic.key, static_cast<int>(f)};
  auto it = by_node_.find({node, k});
  if (it == by_node_.end()) return;
  if (--it->second == 0) by_node_.erase(it);
  auto t = totals_.find(k);
  if (t != totals_.end() && --t->second == 0) {
    totals_.erase(t);
    hub.remove(topic, out_[static_cast<int>(f)]);
  }
}

void Relays::forget_node(Hub& hub, const std::string& node) {
  for (auto it = by_node_.lower_bound({node, Key{}}); it != by_node_.end() && it->first.first == node;) {
    const auto& [kind, key, f] = it->first.second;
    const int n = it->second;
    auto t = totals_.find(it->first.second);
    if (t != totals_.end() && (t->second -= n) <= 0) {
      hub.remove(Topic{kind, key}, out_[f]);
      totals_.erase(t);
    }
    it = by_node_.erase(it);
  }
}

bool Relays::take(std::vector<RelayView>* out) {
  bool any = false;
  for (auto& o : out_) {
    if (o->views.empty()) continue;
    any = true;
    for (RelayView& v : o->views) out->push_back(std::move(v));
    o->views.clear();
  }
  return any;
}

void Relays::clear() {
  for (auto& o : out_) o->views.clear();
  by_node_.clear();
  totals_.clear();
}

}  // namespace qc::gw
