// The annotation database schema (both engines; only the id column type differs).
#include "annotate/store_schema.h"

#include <string>

namespace emonet::annotate {

std::string schema_sql(Dialect dialect) {
  const std::string id =
      dialect == Dialect::sqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY";
  std::string sql = R"SQL(
CREATE TABLE IF NOT EXISTS users(
  id {ID}, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, password_hash TEXT NOT NULL,
  created_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(
  token_hash TEXT PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id),
  csrf_token TEXT NOT NULL, created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS projects(
  id {ID}, name TEXT NOT NULL UNIQUE, protocol TEXT NOT NULL, overlap INTEGER NOT NULL,
  lease_seconds BIGINT NOT NULL, images_dir TEXT NOT NULL, guide_json TEXT NOT NULL,
  created_ms BIGINT NOT NULL, item_count BIGINT NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS items(
  id {ID}, project_id BIGINT NOT NULL REFERENCES projects(id), pos BIGINT NOT NULL,
  image TEXT NOT NULL, emotion TEXT NOT NULL, item_role TEXT NOT NULL, text TEXT NOT NULL,
  metadata TEXT NOT NULL, profiles TEXT NOT NULL, target_votes INTEGER NOT NULL,
  max_parallel INTEGER NOT NULL, votes INTEGER NOT NULL DEFAULT 0,
  is_open INTEGER NOT NULL DEFAULT 1, UNIQUE(project_id, pos));
CREATE INDEX IF NOT EXISTS items_open ON items(project_id, is_open, pos);
CREATE TABLE IF NOT EXISTS assignments(
  id {ID}, item_id BIGINT NOT NULL REFERENCES items(id),
  user_id BIGINT NOT NULL REFERENCES users(id), project_id BIGINT NOT NULL,
  state TEXT NOT NULL, leased_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL,
  swap INTEGER NOT NULL, UNIQUE(item_id, user_id));
CREATE INDEX IF NOT EXISTS assignments_user ON assignments(user_id, project_id, state);
CREATE INDEX IF NOT EXISTS assignments_item ON assignments(item_id, state, expires_ms);
CREATE TABLE IF NOT EXISTS events(
  id {ID}, project_id BIGINT NOT NULL REFERENCES projects(id),
  item_id BIGINT NOT NULL REFERENCES items(id), user_id BIGINT NOT NULL REFERENCES users(id),
  idempotency_key TEXT NOT NULL, answer TEXT NOT NULL, response_ms BIGINT,
  created_ms BIGINT NOT NULL, kind TEXT NOT NULL, UNIQUE(user_id, idempotency_key));
CREATE INDEX IF NOT EXISTS events_item ON events(project_id, item_id, user_id, id);
CREATE TABLE IF NOT EXISTS audit(
  id {ID}, user_id BIGINT, action TEXT NOT NULL, detail TEXT NOT NULL,
  created_ms BIGINT NOT NULL);
)SQL";
  for (std::size_t at; (at = sql.find("{ID}")) != std::string::npos;) sql.replace(at, 4, id);
  return sql;
}

Item item_from(const Row& r, std::size_t at) {
  Item it;
  it.id = r.i64(at + 0);
  it.project_id = r.i64(at + 1);
  it.position = r.i64(at + 2);
  it.image = r.str(at + 3);
  it.emotion = r.str(at + 4);
  it.role = r.str(at + 5);
  it.text = r.str(at + 6);
  it.metadata = r.str(at + 7);
  it.profiles = r.str(at + 8);
  it.target_votes = static_cast<int>(r.i64(at + 9));
  it.max_parallel = static_cast<int>(r.i64(at + 10));
  it.votes = static_cast<int>(r.i64(at + 11));
  it.open = r.i64(at + 12) != 0;
  return it;
}

}  // namespace emonet::annotate
