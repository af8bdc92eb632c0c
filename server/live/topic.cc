#include "server/live/topic.h"

namespace qc::gw {

std::string to_string(const Topic& topic) {
  const char* prefix = "";
  switch (topic.kind) {
    case TopicKind::kPatient: prefix = "p/"; break;
    case TopicKind::kOwn: prefix = "o/"; break;
    case TopicKind::kBoard: prefix = "b/"; break;
    case TopicKind::kStaff: prefix = "s/"; break;
    case TopicKind::kDisplay: prefix = "d/"; break;
  }
  return prefix + topic.key;
}

}  // namespace qc::gw
