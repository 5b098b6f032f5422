// Minimal server-rendered pages: login, project list and one annotation page per project
// that drives the JSON API with a few lines of vanilla JS. The full UI replaces this file.
#include "annotate/pages.h"

#include <httplib.h>

#include <string>

#include "annotate/context.h"

namespace emonet::annotate {
namespace {

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string page(const std::string& title, const std::string& csrf, const std::string& body) {
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"csrf-token\" content=\"" +
         html_escape(csrf) + "\"><title>" + html_escape(title) + "</title></head><body>" + body +
         "</body></html>";
}

const char* kAnnotateScript = R"JS(
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const pid = document.body.dataset.project;
const main = document.getElementById('main');
let project = null, item = null, shownAt = 0;
async function api(path, opts = {}) {
  opts.headers = Object.assign({'X-CSRF-Token': csrf, 'Content-Type': 'application/json'}, opts.headers || {});
  const r = await fetch(path, opts);
  if (r.status === 204) return null;
  const j = await r.json();
  if (!r.ok) throw new Error(j.error || r.status);
  return j;
}
function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
async function submit(answer) {
  answer.idempotency_key = crypto.randomUUID();
  answer.response_ms = Math.round(performance.now() - shownAt);
  try {
    await api(`/api/projects/${pid}/items/${item.item_id}/answer`, {method: 'POST', body: JSON.stringify(answer)});
    await load();
  } catch (e) { document.getElementById('status').textContent = e.message; }
}
function render() {
  main.replaceChildren();
  if (!item) { main.append(el('p', {}, 'Nothing left to annotate in this project. Thank you!')); return; }
  main.append(el('img', {src: item.image_url, alt: 'face to rate', style: 'max-height:60vh'}));
  if (item.protocol === 'binary') {
    main.append(el('p', {}, 'Are the emotions present in the image? ' + item.text));
    const yes = el('button', {}, 'Yes (y)'), no = el('button', {}, 'No (n)');
    yes.onclick = () => submit({value: true}); no.onclick = () => submit({value: false});
    main.append(yes, no);
  } else if (item.protocol === 'compare') {
    for (const side of ['left', 'right']) {
      const box = el('div', {});
      box.append(el('h3', {}, side));
      for (const e of item[side].emotions) box.append(el('div', {}, e.emotion));
      const b = el('button', {}, 'Pick ' + side);
      b.onclick = () => submit({pick: side});
      box.append(b); main.append(box);
    }
  } else {
    const form = el('form', {});
    for (const g of project.form.groups) {
      const fs = el('fieldset', {}); fs.append(el('legend', {}, g.name));
      for (const e of g.emotions) {
        const id = 'r' + e.key.replace(/[^A-Za-z0-9]/g, '_');
        const lab = el('label', {for: id}, e.name + (e.synonyms.length ? ' (' + e.synonyms.join(', ') + ')' : ''));
        const input = el('input', {type: 'range', min: project.form.min, max: project.form.max, value: 0, id, 'data-key': e.key});
        fs.append(el('div', {}), lab, input);
      }
      form.append(fs);
    }
    const none = el('input', {type: 'checkbox', id: 'none'});
    form.append(none, el('label', {for: 'none'}, 'No emotion'), el('button', {type: 'submit'}, 'Submit and proceed'));
    form.onsubmit = (ev) => {
      ev.preventDefault();
      const ratings = {};
      form.querySelectorAll('input[type=range]').forEach(i => { if (+i.value) ratings[i.dataset.key] = +i.value; });
      submit({ratings, no_emotion: none.checked});
    };
    main.append(form);
  }
  main.append(el('p', {id: 'status'}));
  shownAt = performance.now();
}
async function load() {
  const next = await api(`/api/projects/${pid}/next`);
  item = next && next.items.length ? next.items[0] : null;
  render();
}
document.addEventListener('keydown', (ev) => {
  if (!item) return;
  if (item.protocol === 'binary' && (ev.key === 'y' || ev.key === 'n')) submit({value: ev.key === 'y'});
  if (item.protocol === 'compare' && ev.key === 'ArrowLeft') submit({pick: 'left'});
  if (item.protocol === 'compare' && ev.key === 'ArrowRight') submit({pick: 'right'});
});
api(`/api/projects/${pid}`).then(p => { project = p; return load(); })
  .catch(e => { main.textContent = e.message; });
)JS";

}  // namespace

void register_pages(httplib::Server& server, AppContext& ctx) {
  server.Get("/login", [](const httplib::Request& req, httplib::Response& res) {
    std::string message;
    if (req.has_param("error")) message = "<p role=\"alert\">Login failed. Try again later.</p>";
    res.set_content(page("Log in", "",
                         "<h1>EmoNet annotation</h1>" + message +
                             "<form method=\"post\" action=\"/login\">"
                             "<label for=\"u\">User name</label> "
                             "<input id=\"u\" name=\"username\" autocomplete=\"username\" "
                             "required><br><label for=\"p\">Password</label> "
                             "<input id=\"p\" name=\"password\" type=\"password\" "
                             "autocomplete=\"current-password\" required><br>"
                             "<button type=\"submit\">Log in</button></form>"),
                    "text/html; charset=utf-8");
  });

  server.Get("/", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto session = ctx.session(req);
    if (!session) return res.set_redirect("/login", 303);
    std::string list = "<ul>";
    for (const auto& p : ctx.projects_json(session->user)["projects"]) {
      list += "<li><a href=\"/annotate/" + std::to_string(p["id"].get<long long>()) + "\">" +
              html_escape(p["name"].get<std::string>()) + "</a> (" +
              html_escape(p["protocol"].get<std::string>()) + ", " +
              std::to_string(p["progress"]["answered"].get<long long>()) + " answered)</li>";
    }
    list += "</ul>";
    std::string logout =
        "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" "
        "name=\"csrf_token\" value=\"" +
        html_escape(session->csrf_token) + "\"><button type=\"submit\">Log out</button></form>";
    res.set_content(
        page("Projects", session->csrf_token,
             "<h1>Projects for " + html_escape(session->user.name) + "</h1>" + list + logout),
        "text/html; charset=utf-8");
  });

  server.Get(R"(/annotate/(\d+))", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto session = ctx.session(req);
    if (!session) return res.set_redirect("/login", 303);
    const std::string pid = req.matches[1];
    res.set_content(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta "
        "name=\"csrf-token\" content=\"" +
            html_escape(session->csrf_token) +
            "\"><title>Annotate</title></head><body data-project=\"" + pid +
            "\"><p><a href=\"/\">Projects</a></p><main id=\"main\">Loading…</main><script>" +
            kAnnotateScript + "</script></body></html>",
        "text/html; charset=utf-8");
  });
}

}  // namespace emonet::annotate
