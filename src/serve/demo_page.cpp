// The minimal demo page: pick an image, POST it to /v1/predict?faces=true&top=5, print the
// strongest emotions. Kept inline so the binary never reads its UI from disk.
#include "emonet/serve_demo.h"

namespace emonet::serve {

std::string_view demo_page_html() {
  static constexpr std::string_view page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>EmoNet demo</title>
<style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto}#error{color:#b00}</style>
</head>
<body>
<h1>EmoNet demo</h1>
<p><input type="file" id="file" accept="image/jpeg,image/png,image/webp"></p>
<p id="error" role="alert"></p>
<ol id="top"></ol>
<script>
document.getElementById('file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  const error = document.getElementById('error');
  const list = document.getElementById('top');
  error.textContent = '';
  list.textContent = '';
  if (!file) return;
  const reply = await fetch('/v1/predict?faces=true&top=5',
                            {method: 'POST', headers: {'Content-Type': file.type}, body: file});
  const body = await reply.json();
  if (!reply.ok) { error.textContent = body.error || reply.statusText; return; }
  for (const entry of body.top || []) {
    const item = document.createElement('li');
    item.textContent = entry.emotion + ': ' + entry.score.toFixed(3);
    list.appendChild(item);
  }
});
</script>
</body>
</html>
)html";
  return page;
}

}  // namespace emonet::serve
