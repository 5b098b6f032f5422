// `data audit`: loads the rows, runs balance, quality and the per-group analyses, writes
// report.html, audit.json and the CSV tables into the output folder.
#include <filesystem>

#include <iostream>

#include "emonet/data_audit.h"
#include "emonet/embed.h"
#include "emonet/error.h"
#include "emonet/files.h"
#include "emonet/model.h"

namespace emonet::data {
namespace fs = std::filesystem;

AuditResult run_audit(const AuditOptions& o) {
  if (o.out.empty()) throw Error("an output folder is required", {"", 0, "out"});
  const auto rows = load_audit_rows(o.input);
  std::vector<AuditRow> design;
  if (!o.design.empty()) design = load_design_rows(o.design);
  // Inputs are checked before the long image pass, so a typo fails at once.
  std::optional<ScoreTable> scores;
  if (!o.predictions.empty()) scores = load_scores(o.predictions, rows, o.score);

  AuditResult r;
  r.balance = audit_balance(rows, o.design.empty() ? nullptr : &design);
  if (scores) r.groups = audit_scores(rows, *scores, o.groups);
  if (!o.hq.empty()) {
    if (!r.groups) r.groups.emplace();
    audit_kappa(rows, o.hq, o.predictions, o.score, o.hq_model, o.groups, *r.groups);
  }
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) throw Error("cannot create folder: " + ec.message(), {o.out, 0, ""});
  const fs::path out(o.out);
  QualityOptions quality = o.quality;
  if (!o.model.empty() && quality.embeddings.empty()) {
    model::ModelOptions mo;
    mo.threads = o.model_threads;
    const auto m = model::Model::load(o.model, mo);
    std::vector<ImageItem> items;
    for (const auto& row : rows) items.push_back(row.item);
    EmbedOptions eo;
    eo.progress = o.quality.progress;
    const auto s = embed_images(m, items, Shard{}, (out / "embeddings").string(), eo, std::cerr);
    quality.embeddings = s.npy;
  }
  r.quality = audit_quality(rows, quality);

  write_audit_csvs(o.out, r, r.files);
  write_audit_json((out / "audit.json").string(), o, r);
  r.files.push_back((out / "audit.json").string());
  write_file_atomic((out / "report.html").string(), audit_html(o, r));
  r.files.push_back((out / "report.html").string());
  return r;
}

}  // namespace emonet::data
