// PostgreSQL driver (libpqxx 6.4): several server instances can share one database.
// Transactions run at READ COMMITTED; the store takes row locks (SELECT ... FOR UPDATE
// [SKIP LOCKED]) where it needs exclusivity. Serialization failures and deadlocks are
// reported as retryable so Database::transact() re-runs the transaction. Votes and leases
// go through Database::write_grouped: one transaction (a savepoint per request) and one
// WAL flush per batch on each instance.
#include <pqxx/pqxx>

#include <set>

#include "annotate/db.h"
#include "emonet/error.h"

namespace emonet::annotate {
namespace {

class PgConnection : public Connection {
 public:
  explicit PgConnection(const std::string& url) try : conn_(url) {
  } catch (const std::exception& e) {
    throw Error(std::string("cannot connect to PostgreSQL: ") + e.what());
  }

  void begin(bool) override { txn_ = std::make_unique<pqxx::work>(conn_); }
  void commit() override {
    txn_->commit();
    txn_.reset();
  }
  void rollback() noexcept override {
    try {
      if (txn_) txn_->abort();
    } catch (...) {
    }
    txn_.reset();
  }

  Rows exec(const Statement& st, const std::vector<Param>& params) override {
    if (!prepared_.count(st.name)) {
      conn_.prepare(st.name, st.pg_sql ? st.pg_sql : st.sql);
      prepared_.insert(st.name);
    }
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (params[i].kind == Param::Kind::integer) texts[i] = std::to_string(params[i].integer);
      if (params[i].kind == Param::Kind::text) texts[i] = params[i].text;
      if (params[i].kind != Param::Kind::null) values[i] = texts[i].c_str();
    }
    pqxx::result r = txn_->exec_prepared(st.name, pqxx::prepare::make_dynamic_params(values));
    Rows rows;
    rows.reserve(r.size());
    for (const auto& prow : r) {
      Row row;
      row.cells.reserve(prow.size());
      for (const auto& field : prow) {
        if (field.is_null()) {
          row.cells.emplace_back(std::nullopt);
        } else {
          row.cells.emplace_back(std::string(field.c_str(), field.size()));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  void exec_script(const std::string& sql) override {
    pqxx::nontransaction n(conn_);
    n.exec(sql);
  }
  // Inside the open transaction (exec_script would open a second one on the connection).
  void savepoint() override { txn_->exec0("SAVEPOINT grouped_job"); }
  void release_savepoint() override { txn_->exec0("RELEASE SAVEPOINT grouped_job"); }
  void rollback_to_savepoint() override {
    txn_->exec0("ROLLBACK TO SAVEPOINT grouped_job");
    txn_->exec0("RELEASE SAVEPOINT grouped_job");
  }

  bool retryable(const std::exception& e) const override {
    // A unique violation means a concurrent twin committed first (same idempotency key,
    // same user name): re-running the transaction finds its row and answers accordingly.
    return dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr ||
           dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr;
  }

 private:
  pqxx::connection conn_;
  std::unique_ptr<pqxx::work> txn_;
  std::set<std::string> prepared_;
};

class PgDatabase : public Database {
 public:
  PgDatabase(const std::string& url, int pool_size) : Database(Dialect::postgres, url, pool_size) {}

 protected:
  std::unique_ptr<Connection> connect() override { return std::make_unique<PgConnection>(url()); }
};

}  // namespace

std::unique_ptr<Database> open_postgres(const std::string& url, int pool_size) {
  return std::make_unique<PgDatabase>(url, pool_size);
}

}  // namespace emonet::annotate
