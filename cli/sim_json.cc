// A small JSON reader (cli/sim_json.h).
#include "cli/sim_json.h"

#include <cmath>
#include <cstdlib>

namespace qc::cli {

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const auto& [k, v] : object)
    if (k == key) return &v;
  return nullptr;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view t) : t_(t) {}

  bool document(JsonValue* out, std::string* error) {
    ws();
    if (!value(out, 0)) return report(error);
    ws();
    if (i_ != t_.size()) {
      fail("unexpected text after the document");
      return report(error);
    }
    return true;
  }

 private:
  bool report(std::string* error) {
    std::size_t line = 1, col = 1;
    for (std::size_t k = 0; k < err_at_ && k < t_.size(); ++k) {
      if (t_[k] == '\n') ++line, col = 1;
      else ++col;
    }
    if (error) *error = "line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + err_;
    return false;
  }
  bool fail(std::string why) {
    if (err_.empty()) {
      err_ = std::move(why);
      err_at_ = i_;
    }
    return false;
  }
  void ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) ++i_;
  }
  bool literal(std::string_view word) {
    if (t_.substr(i_, word.size()) != word) return fail("invalid literal");
    i_ += word.size();
    return true;
  }
  bool value(JsonValue* v, int depth) {
    if (depth > 64) return fail("nesting too deep");
    if (i_ >= t_.size()) return fail("unexpected end of input");
    const char c = t_[i_];
    if (c == '{') return object(v, depth);
    if (c == '[') return array(v, depth);
    if (c == '"') {
      v->type = JsonValue::Type::kString;
      return string(&v->string);
    }
    if (c == 't') { v->type = JsonValue::Type::kBool; v->boolean = true; return literal("true"); }
    if (c == 'f') { v->type = JsonValue::Type::kBool; v->boolean = false; return literal("false"); }
    if (c == 'n') { v->type = JsonValue::Type::kNull; return literal("null"); }
    if (c == '-' || (c >= '0' && c <= '9')) return number(v);
    return fail(std::string("unexpected character '") + c + "'");
  }
  bool number(JsonValue* v) {
    const std::size_t s = i_;
    if (t_[i_] == '-') ++i_;
    auto digits = [&] {
      const std::size_t d = i_;
      while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
      return i_ > d;
    };
    if (!digits()) return fail("bad number");
    if (i_ < t_.size() && t_[i_] == '.') {
      ++i_;
      if (!digits()) return fail("bad number");
    }
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
      if (!digits()) return fail("bad number");
    }
    const std::string text(t_.substr(s, i_ - s));
    v->type = JsonValue::Type::kNumber;
    v->number = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(v->number)) return fail("number out of range");
    return true;
  }
  static void utf8(unsigned cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool hex4(unsigned* out) {
    if (i_ + 4 > t_.size()) return fail("bad \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = t_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else return fail("bad \\u escape");
    }
    *out = v;
    return true;
  }
  bool string(std::string* out) {
    ++i_;  // opening quote
    while (true) {
      if (i_ >= t_.size()) return fail("unterminated string");
      const char c = t_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i_ >= t_.size()) return fail("unterminated string");
      const char e = t_[i_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          unsigned cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo = 0;
            if (t_.substr(i_, 2) != "\\u") return fail("unpaired surrogate");
            i_ += 2;
            if (!hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail("unpaired surrogate");
          }
          utf8(cp, out);
          break;
        }
        default: return fail("bad escape");
      }
    }
  }
  bool array(JsonValue* v, int depth) {
    v->type = JsonValue::Type::kArray;
    ++i_;
    ws();
    if (i_ < t_.size() && t_[i_] == ']') { ++i_; return true; }
    while (true) {
      ws();
      JsonValue item;
      if (!value(&item, depth + 1)) return false;
      v->array.push_back(std::move(item));
      ws();
      if (i_ >= t_.size()) return fail("unterminated array");
      if (t_[i_] == ',') { ++i_; continue; }
      if (t_[i_] == ']') { ++i_; return true; }
      return fail("expected ',' or ']'");
    }
  }
  bool object(JsonValue* v, int depth) {
    v->type = JsonValue::Type::kObject;
    ++i_;
    ws();
    if (i_ < t_.size() && t_[i_] == '}') { ++i_; return true; }
    while (true) {
      ws();
      if (i_ >= t_.size() || t_[i_] != '"') return fail("expected a key string");
      std::string key;
      if (!string(&key)) return false;
      if (v->find(key)) return fail("duplicate key \"" + key + "\"");
      ws();
      if (i_ >= t_.size() || t_[i_] != ':') return fail("expected ':'");
      ++i_;
      ws();
      JsonValue item;
      if (!value(&item, depth + 1)) return false;
      v->object.emplace_back(std::move(key), std::move(item));
      ws();
      if (i_ >= t_.size()) return fail("unterminated object");
      if (t_[i_] == ',') { ++i_; continue; }
      if (t_[i_] == '}') { ++i_; return true; }
      return fail("expected ',' or '}'");
    }
  }

  std::string_view t_;
  std::size_t i_ = 0;
  std::string err_;
  std::size_t err_at_ = 0;
};

}  // namespace

bool parse_json(std::string_view text, JsonValue* out, std::string* error) {
  JsonValue v;
  Parser p(text);
  if (!p.document(&v, error)) return false;
  *out = std::move(v);
  return true;
}

}  // namespace qc::cli
