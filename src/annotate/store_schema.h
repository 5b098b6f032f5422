// The annotation database schema (see store.h for what each table holds).
#pragma once

#include <string>

#include "annotate/db.h"

namespace emonet::annotate {

// CREATE TABLE / INDEX IF NOT EXISTS statements for `dialect`; safe to run repeatedly.
std::string schema_sql(Dialect dialect);

}  // namespace emonet::annotate
