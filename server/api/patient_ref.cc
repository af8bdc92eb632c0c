#include "server/api/patient_ref.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>

#include <memory>
#include <vector>

namespace qc::gw {
namespace {

constexpr std::size_t kMaxRefBytes = 128;  // the engine's limit (docs/engine.md)

bool invisible(UChar32 c) {
  if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)) return true;
  // Blank-looking, yet neither white space nor default-ignorable.
  if (c == 0x2800 /* braille pattern blank */) return true;
  const auto gc = static_cast<UCharCategory>(u_charType(c));
  return gc == U_CONTROL_CHAR || gc == U_FORMAT_CHAR;
}

// One checker for the process: the checks are thread-safe once configured.
const USpoofChecker* spoof_checker() {
  static const USpoofChecker* checker = [] {
    UErrorCode st = U_ZERO_ERROR;
    USpoofChecker* sc = uspoof_open(&st);
    if (U_FAILURE(st)) return static_cast<USpoofChecker*>(nullptr);
    uspoof_setChecks(sc, USPOOF_RESTRICTION_LEVEL, &st);
    uspoof_setRestrictionLevel(sc, USPOOF_HIGHLY_RESTRICTIVE);
    if (U_FAILURE(st)) {
      uspoof_close(sc);
      return static_cast<USpoofChecker*>(nullptr);
    }
    return sc;
  }();
  return checker;
}

// One pass of rules 2-5: invisible code points out (before NFKC too, so
// that a joiner between a letter and its combining mark cannot keep them
// apart), NFKC, white space, ASCII upper case, and NFKC again (an upper-case
// letter may compose with a mark its lower-case one does not: i + U+0307).
bool normalize_pass(const icu::Normalizer2& nfkc, const icu::UnicodeString& in,
                    icu::UnicodeString* out, std::string* why) {
  UErrorCode st = U_ZERO_ERROR;
  icu::UnicodeString visible;
  for (int32_t i = 0; i < in.length(); i = in.moveIndex32(i, 1)) {
    UChar32 c = in.char32At(i);
    if (!invisible(c) || u_isUWhiteSpace(c)) visible.append(c);
  }
  icu::UnicodeString n = nfkc.normalize(visible, st);
  if (U_FAILURE(st)) {
    *why = "patientRef cannot be normalized";
    return false;
  }
  icu::UnicodeString clean;
  bool space = false;
  for (int32_t i = 0; i < n.length(); i = n.moveIndex32(i, 1)) {
    UChar32 c = n.char32At(i);
    if (u_isUWhiteSpace(c)) {
      space = !clean.isEmpty();
      continue;
    }
    if (invisible(c)) continue;
    if (u_charType(c) == U_UNASSIGNED) {
      *why = "patientRef contains an unassigned code point";
      return false;
    }
    if (space) clean.append(static_cast<UChar>(0x20));
    space = false;
    if (c >= 'a' && c <= 'z') c -= 'a' - 'A';
    clean.append(c);
  }
  *out = nfkc.normalize(clean, st);
  if (U_FAILURE(st)) {
    *why = "patientRef cannot be normalized";
    return false;
  }
  return true;
}

bool is_ascii(const icu::UnicodeString& s) {
  for (int32_t i = 0; i < s.length(); ++i)
    if (s.charAt(i) > 0x7e) return false;
  return true;
}

// Printable ASCII (the usual HIS id) reaches the same canonical form as
// through ICU without it: NFKC leaves it as it is, it holds no invisible or
// unassigned code point and passes the spoof checks; what remains is white
// space and case. Measured 0.7 us per reference through ICU, a few ns here.
bool normalize_ascii(std::string_view ref, std::string* out) {
  for (char c : ref)
    if (c < 0x20 || c > 0x7e) return false;
  bool space = false;
  for (char c : ref) {
    if (c == ' ') {
      space = !out->empty();
      continue;
    }
    if (space) out->push_back(' ');
    space = false;
    out->push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - ('a' - 'A')) : c);
  }
  return true;
}

}  // namespace

bool normalize_patient_ref(std::string_view ref, std::string* out, std::string* why) {
  out->clear();
  if (ref.size() > kMaxRefBytes) {
    *why = "patientRef longer than 128 bytes";
    return false;
  }
  if (normalize_ascii(ref, out)) {
    if (!out->empty()) return true;
    *why = "patientRef is empty";
    return false;
  }
  // UTF-8 -> UTF-16, refusing malformed input (no replacement characters).
  UErrorCode st = U_ZERO_ERROR;
  UChar u16[kMaxRefBytes * 2];
  int32_t len = 0;
  u_strFromUTF8(u16, static_cast<int32_t>(std::size(u16)), &len, ref.data(),
                static_cast<int32_t>(ref.size()), &st);
  if (U_FAILURE(st)) {
    *why = "patientRef is not valid UTF-8";
    return false;
  }
  const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(st);
  if (U_FAILURE(st) || nfkc == nullptr) {
    *why = "patientRef cannot be normalized";
    return false;
  }
  // Passes until nothing changes: the result is its own canonical form, so
  // two spellings that reach one canonical form by any path are one patient.
  icu::UnicodeString clean(false, u16, len);
  for (int pass = 0;; ++pass) {
    icu::UnicodeString next;
    if (!normalize_pass(*nfkc, clean, &next, why)) return false;
    if (next == clean) break;
    if (pass == 4) {
      *why = "patientRef cannot be normalized";
      return false;
    }
    clean = std::move(next);
  }
  if (clean.isEmpty()) {
    *why = "patientRef is empty";
    return false;
  }
  if (const USpoofChecker* sc = spoof_checker()) {
    int32_t checks = uspoof_check2(sc, clean.getBuffer(), clean.length(), nullptr, &st);
    if (U_SUCCESS(st) && (checks & USPOOF_RESTRICTION_LEVEL) != 0) {
      *why = "patientRef mixes letters of scripts that are not written together";
      return false;
    }
    // Not ASCII, but looks exactly like an ASCII reference (Cyrillic or
    // Greek look-alike letters only, a Unicode hyphen or minus sign among
    // ASCII): it would pass the patient limits as another patient.
    if (!is_ascii(clean)) {
      UErrorCode sk = U_ZERO_ERROR;
      icu::UnicodeString skeleton;
      uspoof_getSkeletonUnicodeString(sc, 0, clean, skeleton, &sk);
      if (U_SUCCESS(sk) && is_ascii(skeleton)) {
        *why = "patientRef looks like a reference in ASCII letters and digits but is not one";
        return false;
      }
    }
  }
  clean.toUTF8String(*out);
  if (out->size() > kMaxRefBytes) {
    out->clear();
    *why = "patientRef longer than 128 bytes once normalized";
    return false;
  }
  return true;
}

bool normalize_patient_refs(Command* command, std::string* why) {
  std::string* ref = nullptr;
  if (auto* c = std::get_if<Book>(&command->body)) ref = &c->patient_ref;
  else if (auto* c = std::get_if<Hold>(&command->body)) ref = &c->patient_ref;
  else if (auto* c = std::get_if<RegisterWalkIn>(&command->body)) ref = &c->patient_ref;
  if (ref == nullptr || ref->empty()) return true;
  std::string out;
  if (!normalize_patient_ref(*ref, &out, why)) return false;
  *ref = std::move(out);
  return true;
}

}  // namespace qc::gw
