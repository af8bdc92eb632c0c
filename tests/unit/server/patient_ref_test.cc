// The canonical patientRef (server/api/patient_ref.h): every spelling of one
// reference gives the same bytes, the result is its own canonical form, and
// what only looks like another reference is refused.
#include "server/api/patient_ref.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using qc::gw::normalize_patient_ref;

std::string canon(const std::string& ref) {
  std::string out, why;
  if (!normalize_patient_ref(ref, &out, &why)) return "refused";
  return out;
}

// Invisible characters between a letter and its combining mark, or a mark
// that composes only once the letter is upper-cased, give the same bytes as
// the precomposed letter.
TEST(PatientRef, CombiningMarksGiveOneSpelling) {
  const std::string e_acute_upper = "\xc3\x89";   // U+00C9 É
  const std::string e_acute_lower = "\xc3\xa9";   // U+00E9 é
  EXPECT_EQ(canon("HIS-" + e_acute_upper), "HIS-" + e_acute_upper);
  EXPECT_EQ(canon("HIS-E\xcc\x81"), "HIS-" + e_acute_upper);                  // E + U+0301
  EXPECT_EQ(canon("HIS-E\xe2\x80\x8d\xcc\x81"), "HIS-" + e_acute_upper);      // E, ZWJ, U+0301
  EXPECT_EQ(canon("HIS-E\xe2\x80\x8b\xcc\x81"), "HIS-" + e_acute_upper);      // E, ZWSP, U+0301
  EXPECT_EQ(canon("HIS-E\xe2\x80\x8f\xcc\x81"), "HIS-" + e_acute_upper);      // E, RLM, U+0301
  EXPECT_EQ(canon("his-e\xe2\x80\x8d\xcc\x81"), canon("his-" + e_acute_lower));  // e, ZWJ, U+0301
  EXPECT_EQ(canon("i\xcc\x87"), canon("\xc4\xb0"));  // i + U+0307 (composes once upper-cased) = U+0130
}

TEST(PatientRef, TheCanonicalFormIsAFixedPoint) {
  const std::vector<std::string> inputs = {
      "HIS-42", "his-42", " \xef\xbc\xa8\xef\xbc\xa9\xef\xbc\xb3-42 ",  // fullwidth
      "e\xe2\x80\x8d\xcc\x81", "i\xcc\x87", "a\xcc\x8a\xe2\x80\x8c\xcc\x81",  // marks around joiners
      "\xe5\xbc\xa0\xe4\xb8\x89 7", "x\xc2\xa0\xc2\xa0y",                    // Han, NBSPs
      "A\xc2\xb4", "\xe2\x91\xa0\xe2\x91\xa1",                                // acute accent, circled digits
      "o\xcc\x88\xe2\x80\x8b\xcc\x84", "u\xcc\x88\xcc\x81"};
  for (const std::string& in : inputs) {
    std::string once = canon(in);
    if (once == "refused") continue;
    EXPECT_EQ(canon(once), once) << in;
  }
}

// A reference that is not ASCII but looks exactly like an ASCII one (all
// Cyrillic look-alikes, a Unicode hyphen between ASCII letters and digits)
// would pass the per-patient limits as another patient: refused.
TEST(PatientRef, LookAlikesOfAnAsciiReferenceAreRefused) {
  EXPECT_EQ(canon("\xd0\x9d\xd0\x86\xd0\x85-42"), "refused");  // Cyrillic Н І Ѕ
  EXPECT_EQ(canon("\xd0\x90\xd0\x92\xd0\xa1"), "refused");      // Cyrillic А В С
  EXPECT_EQ(canon("\xce\x91\xce\x92\xce\x95"), "refused");      // Greek Α Β Ε
  EXPECT_EQ(canon("HIS\xe2\x80\x90" "42"), "refused");          // U+2010 hyphen
  EXPECT_EQ(canon("HIS\xe2\x80\x91" "42"), "refused");          // U+2011 non-breaking hyphen
  EXPECT_EQ(canon("HIS\xe2\x88\x92" "42"), "refused");          // U+2212 minus sign
  // Not look-alikes: kept.
  EXPECT_EQ(canon("\xd0\x98\xd0\x92\xd0\x90\xd0\x9d"), "\xd0\x98\xd0\x92\xd0\x90\xd0\x9d");  // ИВАН
  EXPECT_EQ(canon("\xe5\xbc\xa0\xe4\xb8\x89-7"), "\xe5\xbc\xa0\xe4\xb8\x89-7");              // 张三-7
  EXPECT_EQ(canon("HIS-\xc3\xa9"), "HIS-\xc3\xa9");
  EXPECT_EQ(canon("HIS-42"), "HIS-42");
}

// Blank-looking characters that are neither white space nor default
// ignorable are removed like the invisible ones.
TEST(PatientRef, BlankLookingCharactersAreRemoved) {
  EXPECT_EQ(canon("HIS-42\xe2\xa0\x80"), "HIS-42");        // U+2800 braille blank
  EXPECT_EQ(canon("HIS\xe3\x85\xa4-42"), "HIS-42");        // U+3164 Hangul filler
  EXPECT_EQ(canon("HIS\xef\xbe\xa0-42"), "HIS-42");        // U+FFA0 halfwidth Hangul filler
  EXPECT_EQ(canon("\xe2\xa0\x80"), "refused");             // nothing else: empty
}


// Printable ASCII takes a short path without ICU; it must give what ICU
// gives. A zero-width space anywhere sends the same reference through ICU
// (which removes it), so both paths are compared on every input.
TEST(PatientRef, TheAsciiPathAgreesWithIcu) {
  std::vector<std::string> inputs = {"HIS-42", "his-42", "  a  b  ", " ", "~!@#$%^&*()_+`{}|[]\\:\";'<>?,./",
                                     "P7-1", "x y", "Zz09"};
  std::uint32_t seed = 12345;
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    const int len = 1 + static_cast<int>((seed = seed * 1664525 + 1013904223) >> 28);
    for (int i = 0; i < len; ++i) s.push_back(static_cast<char>(0x20 + ((seed = seed * 1664525 + 1013904223) >> 8) % 95));
    inputs.push_back(s);
  }
  const std::string zwsp = "\xe2\x80\x8b";
  for (const std::string& s : inputs) {
    const std::string ascii = canon(s);
    EXPECT_EQ(canon(zwsp + s), ascii) << "[" << s << "]";
    EXPECT_EQ(canon(s + zwsp), ascii) << "[" << s << "]";
    EXPECT_EQ(canon(s.substr(0, s.size() / 2) + zwsp + s.substr(s.size() / 2)), ascii) << "[" << s << "]";
  }
  EXPECT_EQ(canon("  his  42 "), "HIS 42");
  EXPECT_EQ(canon("   "), "refused");
}

}  // namespace
