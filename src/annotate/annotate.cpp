// The command-line facade of the annotation platform (include/emonet/annotate.h).
#include "emonet/annotate.h"

#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "annotate/auth.h"
#include "annotate/exchange.h"
#include "annotate/projects.h"
#include "annotate/server.h"
#include "annotate/store.h"
#include "emonet/error.h"

namespace emonet::annotate {
namespace {

std::unique_ptr<Store> open_store(const std::string& db, int pool = 4) {
  if (db.empty()) throw Error("no database given (--db annotate.sqlite or postgresql://...)");
  return std::make_unique<Store>(Database::open(db, pool));
}

}  // namespace

ServeSummary serve(const std::string& db, const ServerOptions& options,
                   const std::function<void(int port)>& on_listening) {
  // SIGINT/SIGTERM stop the server cleanly: block them in every thread and wait for
  // them in one dedicated thread. Blocked before the store starts its threads (the WAL
  // checkpointer): a thread created earlier would take the signal and die by it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto store = std::make_unique<Store>(Database::open(db, options.threads));
  Server server(*store, options);
  const int port = server.bind();
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
  });
  if (on_listening) on_listening(port);
  server.run();
  // Wake the waiter if run() ended for another reason.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  const GroupCommitStats g = store->db().group_stats();
  return {g.batches, g.jobs, g.largest, g.retries};
}

void add_user(const std::string& db, const std::string& name, const std::string& password,
              bool admin) {
  if (name.empty() || name.size() > 200) throw Error("user name must be 1..200 characters");
  auto store = open_store(db);
  const std::string hash = hash_password(password);
  store->create_user(name, hash, admin ? Role::admin : Role::expert, system_now_ms());
  store->audit(0, "create_user", "{\"name\":\"" + name + "\",\"via\":\"cli\"}", system_now_ms());
}

ProjectInfo create_project(const std::string& db, const CreateProjectOptions& o) {
  if (o.name.empty() || o.name.size() > 200) throw Error("project name must be 1..200 characters");
  ProjectSpec spec;
  spec.name = o.name;
  spec.protocol = parse_protocol(o.protocol);
  spec.overlap = o.overlap;
  spec.lease_seconds = o.lease_seconds;
  ProjectSource source;
  source.images_dir = o.images;
  source.manifest = o.manifest;
  source.guide = o.guide;
  auto items = build_items(spec, source);
  auto store = open_store(db);
  const Project p = store->create_project(spec, items, system_now_ms());
  store->audit(0, "create_project", "{\"project_id\":" + std::to_string(p.id) + ",\"via\":\"cli\"}",
               system_now_ms());
  return {p.id, p.name, std::string(protocol_name(p.protocol)), p.item_count};
}

std::string export_answers(const std::string& db, const std::string& project,
                           const std::string& format) {
  auto store = open_store(db);
  auto p = store->find_project(project);
  if (!p) throw Error("no project named '" + project + "'", {db, 0, "project"});
  return export_project(*store, *p, format);
}

ImportResult import_answers(const std::string& db, const std::string& project,
                            const std::string& csv, const std::string& images,
                            const std::string& guide) {
  auto store = open_store(db);
  const auto s = import_authors_csv(*store, project, csv, images, guide, system_now_ms());
  store->audit(0, "import", "{\"project_id\":" + std::to_string(s.project_id) + ",\"via\":\"cli\"}",
               system_now_ms());
  return {s.project_id, s.items, s.answers, s.skipped};
}

}  // namespace emonet::annotate
