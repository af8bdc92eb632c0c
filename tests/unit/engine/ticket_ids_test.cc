// Ticket ids of every origin are found, stay unique and survive save/load:
// engine-assigned ("<session>-<label>", found through the session's label
// hints), client-chosen, client-chosen in the engine-assigned form of another
// ticket or session, and engine-assigned ids made unique with ".2".
#include "tests/support/scenario.h"

namespace qc::test {
namespace {

class TicketIds : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* sid : {"S", "S-A001"}) {
      Result r = e.apply(Command{nurse(), CreateSession{example_spec(Policy::kArrival, sid)}},
                         day_before("07:00"));
      ASSERT_TRUE(r.ok()) << r.message;
    }
  }
  // Books a ticket (id empty: engine-assigned); returns its id or the error.
  std::string book_id(const std::string& sid, const std::string& id) {
    ++n;
    Result r = e.apply(Command{nurse(), Book{sid, n % 4, "p" + std::to_string(n), "Name",
                                            id, "", ""}},
                       day_before("09:00") + n);
    if (!r.ok()) return std::string(to_string(r.error));
    return find_event(r.events, EventType::kTicketBooked).ticket_id;
  }

  Engine e;
  int n = 0;
  // id -> session, filled by the booking steps of Booked().
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"S-A002", "S"},         {"S-A002.2", "S"},      {"S-A003", "S"},
      {"S-A001-A001", "S"},    {"S-A001-A001.2", "S-A001"}, {"S-A001-A002", "S-A001"},
      {"S-A0005", "S"},        {"S-A006", "S"},        {"S-W001", "S"},
  };

  void book_all() {
    // Label A001 of S, with the id that S's label A002 would get.
    ASSERT_EQ(book_id("S", "S-A002"), "S-A002");
    ASSERT_EQ(book_id("S", ""), "S-A002.2");
    ASSERT_EQ(book_id("S", ""), "S-A003");
    // In S, the id that session S-A001's first ticket would get.
    ASSERT_EQ(book_id("S", "S-A001-A001"), "S-A001-A001");
    ASSERT_EQ(book_id("S-A001", ""), "S-A001-A001.2");
    ASSERT_EQ(book_id("S-A001", ""), "S-A001-A002");
    // Not a label of S (leading zero): a plain client id.
    ASSERT_EQ(book_id("S", "S-A0005"), "S-A0005");
    ASSERT_EQ(book_id("S", ""), "S-A006");
    Result r = e.apply(Command{nurse(), RegisterWalkIn{"S", "w1", "Name", "", ""}}, at("07:30"));
    ASSERT_TRUE(r.ok()) << r.message;
    ASSERT_EQ(r.events.at(0).ticket_id, "S-W001");
  }
};

TEST_F(TicketIds, EveryFormIsFoundInItsSession) {
  book_all();
  for (const auto& [id, sid] : expected) {
    EXPECT_EQ(e.ticket_session(id), sid) << id;
    EXPECT_TRUE(e.patient_view(id, at("07:40"))) << id;
  }
  EXPECT_EQ(e.ticket_state("S-W001"), TicketState::kWaiting);
  for (const char* id : {"S-A001", "S-A004", "S-A005", "S-W002", "S-A001-A003", "X-A001", "S-",
                         "-A001", "S-A002.3", "A001", "S-A1", "S-B001", ""})
    EXPECT_FALSE(e.ticket_state(id)) << id;
}

TEST_F(TicketIds, AnIdInUseIsRefusedWhateverItsForm) {
  book_all();
  for (const auto& [id, sid] : expected) {
    EXPECT_EQ(book_id("S", id), "already_exists") << id;
    EXPECT_EQ(book_id("S-A001", id), "already_exists") << id;
  }
}

TEST_F(TicketIds, CommandsFindEveryForm) {
  book_all();
  for (const auto& [id, sid] : expected) {
    if (id == "S-W001") continue;
    Result r = e.apply(Command{nurse(), CheckIn{id}}, at("07:45"));
    ASSERT_TRUE(r.ok()) << id << ": " << r.message;
    EXPECT_EQ(r.events.at(0).ticket_id, id);
    EXPECT_EQ(r.events.at(0).session_id, sid);
  }
  EXPECT_EQ(e.waiting_order("S").size(), 7u);
  EXPECT_EQ(e.waiting_order("S-A001").size(), 2u);
}

TEST_F(TicketIds, SaveLoadKeepsEveryFormAndTheSameFuture) {
  book_all();
  std::string image = e.save();
  Engine b;
  ASSERT_TRUE(b.load(image));
  EXPECT_EQ(b.save(), image);
  for (const auto& [id, sid] : expected) EXPECT_EQ(b.ticket_session(id), sid) << id;
  // The next engine-assigned ids and every command by id agree.
  for (const char* sid : {"S", "S-A001"}) {
    Command c{nurse(), Book{sid, 1, std::string("q-") + sid, "Name", "", "", ""}};
    Result ra = e.apply(c, day_before("10:00"));
    Result rb = b.apply(c, day_before("10:00"));
    ASSERT_TRUE(ra.ok()) << ra.message;
    EXPECT_EQ(ra.events, rb.events);
  }
  for (const auto& [id, sid] : expected) {
    Command c{nurse(), Cancel{id}};
    Result ra = e.apply(c, day_before("11:00"));
    Result rb = b.apply(c, day_before("11:00"));
    EXPECT_EQ(ra.error, rb.error) << id;
    EXPECT_EQ(ra.events, rb.events) << id;
  }
  EXPECT_EQ(b.save(), e.save());
}

}  // namespace
}  // namespace qc::test
