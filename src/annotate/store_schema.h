// The annotation database schema (see store.h for what each table holds).
#pragma once

#include <string>

#include "annotate/db.h"
#include "annotate/store.h"

namespace emonet::annotate {

// CREATE TABLE / INDEX IF NOT EXISTS statements for `dialect`; safe to run repeatedly.
std::string schema_sql(Dialect dialect);

// The item columns every item query selects (table alias i), and their reader.
#define ITEM_COLS                                                                    \
  "i.id, i.project_id, i.pos, i.image, i.emotion, i.item_role, i.text, i.metadata, " \
  "i.profiles, i.target_votes, i.max_parallel, i.votes, i.is_open"
Item item_from(const Row& r, std::size_t at);

}  // namespace emonet::annotate
