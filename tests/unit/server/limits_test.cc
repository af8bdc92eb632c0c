// Rate limits, connection caps, idempotency keys, the outbox (conflation).
#include <set>
#include <thread>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/infra/client_address.h"
#include "server/api/decode.h"
#include "server/runtime/idempotency.h"
#include "server/live/outbox.h"
#include "server/infra/random.h"
#include "server/api/rate_limit.h"

namespace qc::gw {
namespace {

TEST(TokenBucket, BurstThenRate) {
  TokenBucket b(2.0, 3.0);  // 2/s, burst 3
  EXPECT_TRUE(b.take(1000));
  EXPECT_TRUE(b.take(1000));
  EXPECT_TRUE(b.take(1000));
  EXPECT_FALSE(b.take(1000));
  EXPECT_FALSE(b.take(1400));  // 0.8 token
  EXPECT_TRUE(b.take(1500));   // 1 token after 500 ms
  EXPECT_FALSE(b.take(1500));
  EXPECT_TRUE(b.take(10'000));  // refilled, capped at the burst
  EXPECT_TRUE(b.take(10'000));
  EXPECT_TRUE(b.take(10'000));
  EXPECT_FALSE(b.take(10'000));
}

TEST(RateLimiter, PerKeyAndDisabled) {
  RateLimiter r(1.0, 1.0);
  EXPECT_TRUE(r.allow("a", 0));
  EXPECT_FALSE(r.allow("a", 10));
  EXPECT_TRUE(r.allow("b", 10));  // another key has its own bucket
  EXPECT_TRUE(r.allow("a", 1010));
  RateLimiter off(0, 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(off.allow("x", 0));
}

TEST(RateLimiter, MemoryIsBounded) {
  RateLimiter r(1.0, 1.0, 100);
  for (int i = 0; i < 1000; ++i) r.allow("k" + std::to_string(i), 0);
  EXPECT_LE(r.keys(), 100u);
}

TEST(ConnectionCounter, CapPerAddress) {
  ConnectionCounter c(2);
  EXPECT_TRUE(c.acquire("1.2.3.4"));
  EXPECT_TRUE(c.acquire("1.2.3.4"));
  EXPECT_FALSE(c.acquire("1.2.3.4"));
  EXPECT_TRUE(c.acquire("5.6.7.8"));
  c.release("1.2.3.4");
  EXPECT_TRUE(c.acquire("1.2.3.4"));
  EXPECT_EQ(c.count("1.2.3.4"), 2);
}

// Behind a proxy the per-address limits count the client the proxy saw, and
// only a configured proxy is believed.
TEST(ClientAddress, ForwardedHeadersOnlyFromTrustedProxies) {
  TrustedProxies none;
  TrustedProxies t;
  std::string e;
  ASSERT_TRUE(t.parse({"127.0.0.1", "10.0.0.0/8"}, &e)) << e;
  struct Case {
    const char* peer;
    const char* forwarded_for;
    const char* real_ip;
    const TrustedProxies& trusted;
    const char* client;
  } cases[] = {
      // No trusted proxies, or a peer that is not one: the peer, headers ignored.
      {"127.0.0.1", "203.0.113.9", "203.0.113.8", none, "127.0.0.1"},
      {"198.51.100.7", "203.0.113.9", "203.0.113.8", t, "198.51.100.7"},
      // From a trusted proxy: the right-most address that is not a proxy.
      {"127.0.0.1", "203.0.113.9", "", t, "203.0.113.9"},
      {"127.0.0.1", "1.1.1.1, 203.0.113.9, 10.1.2.3", "", t, "203.0.113.9"},
      // What the client wrote itself (left of its real address) is not believed.
      {"127.0.0.1", "10.9.9.9, 203.0.113.9", "", t, "203.0.113.9"},
      {"127.0.0.1", "garbage, 203.0.113.9", "", t, "203.0.113.9"},
      // Every hop a proxy: the left-most; a malformed hop ends the walk.
      {"127.0.0.1", "10.1.1.1, 10.2.2.2", "", t, "10.1.1.1"},
      {"127.0.0.1", "203.0.113.9, bogus, 10.2.2.2", "", t, "10.2.2.2"},
      {"127.0.0.1", " , ", "", t, "127.0.0.1"},
      // X-Real-IP when there is no X-Forwarded-For; canonical forms.
      {"127.0.0.1", "", "203.0.113.5", t, "203.0.113.5"},
      {"127.0.0.1", "", "not an address", t, "127.0.0.1"},
      {"::ffff:127.0.0.1", "[2001:DB8::1]", "", t, "2001:db8::1"},
      {"::ffff:198.51.100.7", "", "", none, "198.51.100.7"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(client_address(c.peer, c.forwarded_for, c.real_ip, c.trusted), c.client)
        << c.peer << " | " << c.forwarded_for << " | " << c.real_ip;
}

TEST(Idempotency, ScopedRememberedBoundedAndExpiring) {
  EXPECT_TRUE(valid_idempotency_key("his-88120"));
  EXPECT_FALSE(valid_idempotency_key(""));
  EXPECT_FALSE(valid_idempotency_key("has space"));
  EXPECT_FALSE(valid_idempotency_key(std::string(129, 'k')));
  EXPECT_NE(scoped_key("nurse:a", "k"), scoped_key("nurse:b", "k"));

  using M = IdempotencyMap::Match;
  IdempotencyMap m(2, 1000);
  const std::string* r = nullptr;
  m.remember(scoped_key("nurse:a", "k1"), "fa", "r1", 0);
  m.remember(scoped_key("nurse:a", "k1"), "fb", "other", 1);  // the first answer stays
  ASSERT_EQ(m.find(scoped_key("nurse:a", "k1"), "fa", 10, &r), M::kSame);
  EXPECT_EQ(*r, "r1");
  EXPECT_EQ(m.find(scoped_key("nurse:b", "k1"), "fa", 10), M::kNone);
  m.remember("k2", "f2", "r2", 20);
  m.remember("k3", "f3", "r3", 30);  // evicts the oldest (k1)
  EXPECT_EQ(m.find(scoped_key("nurse:a", "k1"), "fa", 30), M::kNone);
  EXPECT_EQ(m.find("k3", "f3", 30), M::kSame);
  EXPECT_EQ(m.find("k2", "f2", 2000), M::kNone);  // expired
}

// The same key on another request is refused, not answered with the first
// request's response; a key stored without a fingerprint (a journal written
// before them) answers any request, as before.
TEST(Idempotency, AKeyAnswersOnlyItsOwnRequest) {
  using M = IdempotencyMap::Match;
  IdempotencyMap m;
  const std::string* r = nullptr;
  m.remember("k1", "walk-in", "ticket W001, token T", 0);
  EXPECT_EQ(m.find("k1", "call-next", 1, &r), M::kDifferent);
  EXPECT_EQ(r, nullptr);  // nothing of the first answer
  ASSERT_EQ(m.find("k1", "walk-in", 1, &r), M::kSame);
  EXPECT_EQ(*r, "ticket W001, token T");
  m.remember("k1", "call-next", "called W001", 2);  // the first request keeps the key
  EXPECT_EQ(m.find("k1", "call-next", 3), M::kDifferent);
  m.remember("old", "", "from an old journal", 0);
  EXPECT_EQ(m.find("old", "anything", 1), M::kSame);
  EXPECT_EQ(m.find("k1", "", 1), M::kSame);  // a caller inside the server
}

// Claims (several shards): a key taken for a request in flight refuses
// another request; released when its request changed nothing, kept once it
// is remembered (answered, or found in the journal).
TEST(Idempotency, ClaimsAreReleasedOnlyWhilePending) {
  IdempotencyMap m;
  EXPECT_TRUE(m.claim("k1", "walk-in", 0));
  EXPECT_TRUE(m.claim("k1", "walk-in", 1));  // the same request again
  EXPECT_FALSE(m.claim("k1", "call-next", 1));
  m.release("k1", "call-next");  // not its claim
  EXPECT_FALSE(m.claim("k1", "call-next", 2));
  m.release("k1", "walk-in");  // the walk-in was refused: the key is free
  EXPECT_TRUE(m.claim("k1", "call-next", 3));
  m.remember("k1", "call-next", "", 4);  // applied
  m.release("k1", "call-next");          // a later answer of a failed retry
  EXPECT_FALSE(m.claim("k1", "walk-in", 5));
}

TEST(Idempotency, TheFingerprintIsOfTheRequestAsSent) {
  auto fp = [](std::string_view who, std::string_view method, std::string_view target,
               std::string_view type, std::string_view body) {
    return request_fingerprint(who, method, target, type, body);
  };
  const std::string base = fp("nurse:n1", "POST", "/v1/sessions/s1/walk-ins", "application/json", "{}");
  EXPECT_EQ(base.size(), 32u);
  // The same request: query (credential), escapes and charset do not matter.
  EXPECT_EQ(base, fp("nurse:n1", "POST", "/v1/sessions/s1/walk-ins?token=x", "application/json", "{}"));
  EXPECT_EQ(base, fp("nurse:n1", "POST", "/v1/sessions/%731/walk-ins", "application/json", "{}"));
  EXPECT_EQ(base, fp("nurse:n1", "POST", "/v1/sessions/s1/walk-ins", "application/json; charset=utf-8", "{}"));
  EXPECT_EQ(base, fp("nurse:n1", "POST", "/v1/sessions/s1/walk-ins", "", "{}"));
  // Any other part makes another request.
  for (const std::string& other :
       {fp("nurse:n2", "POST", "/v1/sessions/s1/walk-ins", "application/json", "{}"),
        fp("nurse:n1", "DELETE", "/v1/sessions/s1/walk-ins", "application/json", "{}"),
        fp("nurse:n1", "POST", "/v1/sessions/s1/call-next", "application/json", "{}"),
        fp("nurse:n1", "POST", "/v1/sessions/s2/walk-ins", "application/json", "{}"),
        fp("nurse:n1", "POST", "/v1/sessions/s1/walk-ins", "application/x-protobuf", "{}"),
        fp("nurse:n1", "POST", "/v1/sessions/s1/walk-ins", "application/json", "{ }"),
        // Length-prefixed parts: moving bytes between parts changes it.
        fp("nurse:n1", "POST", "/v1/sessions/s1/walk-ins{", "application/json", "}")})
    EXPECT_NE(other, base);
}

Frame frame(std::string s) { return Frame{std::make_shared<const std::string>(std::move(s)), {}}; }

TEST(Outbox, KeepsOnlyTheNewestViewPerTopic) {
  Outbox o(2);
  EXPECT_FALSE(o.put(0, frame("v1")));
  EXPECT_FALSE(o.put(1, frame("p1")));
  EXPECT_TRUE(o.put(0, frame("v2-longer")));  // conflated
  EXPECT_EQ(o.views(), 2u);
  EXPECT_EQ(o.bytes(), std::string("v2-longer").size() + 2);
  EXPECT_TRUE(o.put_control(std::make_shared<const std::string>("err")));
  Frame f;
  ASSERT_TRUE(o.take(&f));
  EXPECT_EQ(*f.bytes, "err");  // control first
  ASSERT_TRUE(o.take(&f));
  EXPECT_EQ(*f.bytes, "v2-longer");  // then views, oldest topic first, newest content
  ASSERT_TRUE(o.take(&f));
  EXPECT_EQ(*f.bytes, "p1");
  EXPECT_FALSE(o.take(&f));
  EXPECT_EQ(o.bytes(), 0u);
  EXPECT_TRUE(o.empty());
}

TEST(Outbox, TakeAllGivesEverythingInSendOrder) {
  Outbox o(4);
  o.put(3, frame("a1"));
  o.put(7, frame("b1"));
  o.put(5, frame("c1"));
  o.put(7, frame("b2"));  // conflated in place: keeps its position
  o.put_control(std::make_shared<const std::string>("e1"));
  o.put_control(std::make_shared<const std::string>("e2"));
  std::vector<Frame> out;
  o.take_all(&out);
  ASSERT_EQ(out.size(), 5u);
  std::vector<std::string> got;
  for (auto& f : out) got.push_back(*f.bytes);
  EXPECT_EQ(got, (std::vector<std::string>{"e1", "e2", "a1", "b2", "c1"}));
  EXPECT_TRUE(o.empty());
  EXPECT_EQ(o.bytes(), 0u);
  // Usable again after being emptied; the first view taken is the oldest.
  EXPECT_FALSE(o.put(7, frame("b3")));
  EXPECT_FALSE(o.put(3, frame("a2")));
  Frame f;
  ASSERT_TRUE(o.take(&f));
  EXPECT_EQ(*f.bytes, "b3");
  ASSERT_TRUE(o.take(&f));
  EXPECT_EQ(*f.bytes, "a2");
  EXPECT_FALSE(o.take(&f));
}

TEST(Outbox, ControlQueueIsBoundedAndClearDropsAll) {
  Outbox o(2);
  EXPECT_TRUE(o.put_control(std::make_shared<const std::string>("a")));
  EXPECT_TRUE(o.put_control(std::make_shared<const std::string>("b")));
  EXPECT_FALSE(o.put_control(std::make_shared<const std::string>("c")));
  o.put(0, frame("v"));
  EXPECT_EQ(o.bytes(), 3u);
  o.clear();
  EXPECT_TRUE(o.empty());
  EXPECT_EQ(o.bytes(), 0u);
  EXPECT_TRUE(o.put_control(std::make_shared<const std::string>("d")));
}

TEST(Random, TokensAre128BitHex) {
  std::string a = random_token(), b = random_token();
  EXPECT_TRUE(is_token_shaped(a));
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_FALSE(is_token_shaped("xyz"));
}

TEST(Random, TokensStayDistinctAcrossManyPoolRefillsAndThreads) {
  // Tokens come from a per-thread pool of kernel bytes refilled every 32:
  // no byte is handed out twice, in one thread or across threads.
  std::vector<std::string> a, b;
  std::thread other([&] {
    for (int i = 0; i < 2000; ++i) b.push_back(random_token());
  });
  for (int i = 0; i < 2000; ++i) a.push_back(random_token());
  other.join();
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 4000u);
  for (const std::string& t : all) ASSERT_TRUE(is_token_shaped(t)) << t;
}

}  // namespace
}  // namespace qc::gw
