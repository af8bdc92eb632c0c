// The one canonical form of a patientRef (docs/api.md, "Patient
// references"), applied once where a reference enters: the gateway's
// request decoding, and `queuecast replay` for command files. The engine
// compares references byte for byte, so every limit keyed on the patient
// (active bookings, the no-show blacklist, the per-patient booking rate)
// holds only if two spellings of one reference reach it as the same bytes.
//
// The rules, in order:
//   1. valid UTF-8, at most 128 bytes given (longer is refused before any
//      work is done);
//   2. Unicode NFKC (fullwidth "ＨＩＳ-４２" -> "HIS-42", ligatures, ...);
//   3. invisible code points removed: default-ignorable (zero-width space
//      and joiners, soft hyphen, BOM, variation selectors, ...), format and
//      control characters;
//   4. white space trimmed at both ends, runs of it inside become one
//      U+0020;
//   5. ASCII letters upper-cased ("his-42" -> "HIS-42"); other letters keep
//      their case;
//   6. refused: empty after this, unassigned code points, and letters of
//      two scripts that are not commonly written together (Latin with
//      Cyrillic or Greek look-alikes: "НIS-42" with a Cyrillic Н).
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "engine/command.h"

namespace qc::gw {

// The canonical form of `ref` in *out; false with *why (a message that does
// not repeat the reference) when it is refused.
bool normalize_patient_ref(std::string_view ref, std::string* out, std::string* why);

// Puts the patientRef of a book, hold or walk-in command in its canonical
// form (other commands carry none). An empty reference stays empty (the
// engine decides whether one is required); false with *why when it is
// refused.
bool normalize_patient_refs(Command* command, std::string* why);

}  // namespace qc::gw
