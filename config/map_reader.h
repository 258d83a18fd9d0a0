#pragma once

// MapReader: reads the members of one YAML mapping into typed values, with one ConfigError line
// naming the key for anything wrong (missing, mistyped, out of range, not one of the words of
// an enum), and rejects unknown keys at Finish(). Used by the loader and the section parsers in
// config/ only; called at start-up, on one thread. Exceptions stop here: this is the config
// boundary.

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "config/config_words.h"
#include "config/conninfo.h"

namespace cdc::config {

[[noreturn]] inline void Fail(const std::string& key, const std::string& what) {
  throw ConfigError(key.empty() ? what : key + ": " + what);
}

inline std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

inline const char* KindName(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "empty";
    default: return "a scalar";
  }
}

// Reads the members of one YAML mapping, remembering which keys were consumed so that Finish()
// can reject the rest as unknown.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) {
      Fail(path_.empty() ? "configuration" : path_,
           std::string("must be a mapping, got ") + KindName(node_));
    }
  }

  YAML::Node Take(const std::string& key) {
    seen_.insert(key);
    if (!node_ || node_.IsNull()) return YAML::Node();
    return node_[key];
  }

  bool Has(const std::string& key) const {
    return node_ && node_.IsMap() && node_[key] && !node_[key].IsNull();
  }

  void String(const std::string& key, std::string* out, bool required = false) {
    YAML::Node n = Take(key);
    if (!n || n.IsNull()) {
      if (required) Fail(Join(path_, key), "required key is missing");
      return;
    }
    if (!n.IsScalar()) Fail(Join(path_, key), std::string("must be a string, got ") + KindName(n));
    *out = ExpandEnv(n.Scalar(), Join(path_, key));
    if (required && out->empty()) Fail(Join(path_, key), "must not be empty");
  }

  // A libpq connection string: ${...} references become quoted values (config/conninfo.h).
  void Conninfo(const std::string& key, std::string* out) {
    YAML::Node n = Take(key);
    if (!n || n.IsNull()) Fail(Join(path_, key), "required key is missing");
    if (!n.IsScalar()) Fail(Join(path_, key), std::string("must be a string, got ") + KindName(n));
    *out = ExpandConninfo(n.Scalar(), Join(path_, key));
    if (out->empty()) Fail(Join(path_, key), "must not be empty");
  }

  void Bool(const std::string& key, bool* out) {
    YAML::Node n = Take(key);
    if (!n || n.IsNull()) return;
    if (!n.IsScalar()) Fail(Join(path_, key), "must be true or false");
    const std::string& v = n.Scalar();
    if (v == "true" || v == "yes" || v == "on") {
      *out = true;
    } else if (v == "false" || v == "no" || v == "off") {
      *out = false;
    } else {
      Fail(Join(path_, key), "must be true or false, got '" + v + "'");
    }
  }

  template <typename T>
  void Int(const std::string& key, T* out, T min, T max) {
    YAML::Node n = Take(key);
    if (!n || n.IsNull()) return;
    long long v = 0;
    size_t used = 0;
    bool ok = n.IsScalar();
    if (ok) {
      try {
        v = std::stoll(n.Scalar(), &used);
      } catch (const std::exception&) {
        ok = false;
      }
      ok = ok && used == n.Scalar().size();
    }
    if (!ok) Fail(Join(path_, key), "must be an integer");
    if (v < static_cast<long long>(min) || v > static_cast<long long>(max)) {
      Fail(Join(path_, key), "must be between " + std::to_string(min) + " and " +
                                 std::to_string(max) + ", got " + std::to_string(v));
    }
    *out = static_cast<T>(v);
  }

  void StringList(const std::string& key, std::vector<std::string>* out) {
    YAML::Node n = Take(key);
    if (!n || n.IsNull()) return;
    if (n.IsScalar()) {  // a single value is accepted as a one-element list
      *out = {ExpandEnv(n.Scalar(), Join(path_, key))};
      return;
    }
    if (!n.IsSequence()) Fail(Join(path_, key), "must be a list of strings");
    out->clear();
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) {
        Fail(Join(path_, key) + "[" + std::to_string(i) + "]", "must be a string");
      }
      out->push_back(ExpandEnv(n[i].Scalar(), Join(path_, key)));
    }
  }

  // One of the words of enum E (config_words.h); absent keeps *out's default.
  template <typename E>
  void OneOf(const std::string& key, E* out) {
    std::string word(WordOf(*out));
    String(key, &word);
    for (const auto& [w, v] : Words<E>::kAll) {
      if (word == w) {
        *out = v;
        return;
      }
    }
    std::string list;
    for (const auto& [w, v] : Words<E>::kAll) list += (list.empty() ? "" : ", ") + std::string(w);
    Fail(Join(path_, key), "must be one of " + list + ", got '" + word + "'");
  }

  void Finish() const {
    if (!node_ || !node_.IsMap()) return;
    for (const auto& kv : node_) {
      std::string k = kv.first.as<std::string>();
      if (!seen_.count(k)) Fail(Join(path_, k), "unknown key");
    }
  }

 private:
  YAML::Node node_;
  std::string path_;
  std::set<std::string> seen_;
};

}  // namespace cdc::config
