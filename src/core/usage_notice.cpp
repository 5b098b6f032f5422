// See usage_notice.h. The wording summarises the EmoNet-Face cards' out-of-scope uses.
#include "emonet/usage_notice.h"

namespace emonet {

std::string_view forbidden_uses_notice() {
  return "EmoNet-Face models and data are for research on emotion recognition. Their cards\n"
         "forbid using them for emotion recognition at work or in education, surveillance,\n"
         "law enforcement, border control and asylum decisions, credit, insurance or hiring\n"
         "decisions. By fetching them you accept these terms (CC BY 4.0 plus the cards' use\n"
         "restrictions).\n";
}

}  // namespace emonet
