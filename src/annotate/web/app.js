// emonet annotate UI: small vanilla JS shared by every page. No framework, no build step.
//
// Rules this file keeps:
//  * every state-changing request carries the CSRF token (header X-CSRF-Token);
//  * every answer carries an idempotency key that stays the same across retries, so a
//    retried submission after a network failure is never counted twice;
//  * the UI moves to the next item only after the server acknowledged the answer;
//  * the next few images are preloaded so the expert never waits for a picture.
'use strict';
(function () {
  const PRELOAD = 3;
  const dataNode = document.getElementById('page-data');
  const PAGE = dataNode ? JSON.parse(dataNode.textContent) : {};

  const $ = (id) => document.getElementById(id);
  const csrfToken = () => document.querySelector('meta[name="csrf-token"]').content;

  // 128 random bits as hex; crypto.getRandomValues works outside secure contexts too.
  function newKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function setStatus(text) {
    const node = $('status');
    if (node) node.textContent = text;
  }
  function setError(text) {
    const node = $('form-error');
    if (node) node.textContent = text;
  }

  class HttpError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // 409 (lease lost to another expert / item already final) and 403 (no longer assigned):
  // the answer cannot be stored, the item must be skipped.
  const leaseLost = (error) => error instanceof HttpError && (error.status === 409 || error.status === 403);

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // fetch() with JSON in and out. Network failures, 5xx and 429 are retried with
  // exponential backoff (the same body and idempotency key every time); other errors
  // are thrown as HttpError with the server's message.
  async function api(method, url, body, options = {}) {
    const headers = { Accept: 'application/json' };
    if (method !== 'GET') {
      headers['X-CSRF-Token'] = csrfToken();
      headers['Content-Type'] = 'application/json';
    }
    if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) init.body = JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      let response;
      try {
        response = await fetch(url, init);
      } catch (networkError) {
        response = null;
      }
      if (response && response.status === 401) {
        window.location.assign('/login?next=' + encodeURIComponent(location.pathname));
        throw new HttpError(401, 'Your session ended; please sign in again.');
      }
      const retryable = !response || response.status >= 500 || response.status === 429;
      if (!retryable) {
        let payload = {};
        try {
          payload = await response.json();
        } catch (parseError) {
          payload = {};
        }
        if (!response.ok) {
          throw new HttpError(response.status, payload.error || ('HTTP ' + response.status));
        }
        if (attempt > 1) setStatus('Connection restored.');
        return payload;
      }
      const wait = Math.min(8000, 250 * 2 ** Math.min(attempt, 6));
      setStatus('Connection problem; retrying in ' + Math.round(wait / 1000) +
                ' s (attempt ' + attempt + '). Your answer is kept.');
      await sleep(wait);
    }
  }

  const preloaded = new Map();
  function preload(urls) {
    for (const url of urls) {
      if (!url || preloaded.has(url)) continue;
      const img = new Image();
      img.decoding = 'async';
      img.src = url;
      preloaded.set(url, img);
      if (preloaded.size > 64) preloaded.delete(preloaded.keys().next().value);
    }
  }

  // Shows an image and resolves (with the load time from performance.now()) once it is
  // on screen, so response times start when the expert can actually see the face.
  function showImage(img, url, alt) {
    return new Promise((resolve) => {
      const done = () => resolve(performance.now());
      img.onload = done;
      img.onerror = done;
      img.alt = alt;
      img.src = url;
      if (img.complete && img.naturalWidth > 0) done();
    });
  }

  function setProgress(progress) {
    if (!progress) return;
    // Your share: what you answered out of what you answered plus what is still open to you.
    const done = progress.answered || 0;
    const total = done + (progress.open_for_me || 0);
    const meter = $('progress');
    if (meter) {
      meter.max = Math.max(1, total);
      meter.value = done;
      meter.setAttribute('aria-valuetext', done + ' of ' + total + ' done');
    }
    const position = $('position');
    if (position) position.textContent = done + ' / ' + total + ' done';
  }

  function typingInField(event) {
    const t = event.target;
    return t && (t.tagName === 'INPUT' && t.type !== 'range' && t.type !== 'checkbox' ||
                 t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');
  }

  // ---- The work queue shared by the three annotation pages -------------------------
  // Items come from the server's assignment (leased to this expert); the queue keeps
  // PRELOAD items ahead so their images are already in the browser cache.
  class Queue {
    constructor(projectId) {
      this.projectId = projectId;
      this.items = [];
      this.finished = false;
      this.progress = null;
      this.answered = new Set();  // acknowledged here; a racing refill must not bring them back
    }
    // The server returns the items this expert already holds leases on first, then new
    // ones, so asking for PRELOAD + 1 keeps the current item plus PRELOAD ahead.
    async fill() {
      if (this.finished || this.items.length > PRELOAD) return;
      const reply = await api('GET', API.next(this.projectId, PRELOAD + 1));
      this.accept(reply);
    }
    accept(reply) {
      this.progress = reply.progress || this.progress;
      const known = new Set(this.items.map((item) => item.item_id));
      const answered = this.answered;
      const fresh = (reply.items || []).filter(
          (item) => !known.has(item.item_id) && !answered.has(item.item_id));
      this.items.push(...fresh);
      if (this.items.length === 0) this.finished = true;
      preload(this.items.map((item) => item.image_url));
    }
    async head() {
      if (this.items.length === 0) await this.fill();
      return this.items[0] || null;
    }
    drop(itemId) {
      this.answered.add(itemId);
      this.items = this.items.filter((item) => item.item_id !== itemId);
      this.fill().catch((error) => setError(error.message));
    }
  }

  function showDone(rootId, message) {
    const root = $(rootId);
    root.innerHTML = '';
    const box = document.createElement('div');
    box.className = 'done card';
    box.id = 'all-done';
    const heading = document.createElement('h1');
    heading.textContent = 'All done';
    const text = document.createElement('p');
    text.textContent = message;
    const back = document.createElement('a');
    back.href = '/';
    back.className = 'button primary';
    back.textContent = 'Back to my projects';
    box.append(heading, text, back);
    root.append(box);
    back.focus();
  }

  // ---- Intensity (HQ) page ------------------------------------------------------------
  function intensityPage() {
    const form = $('rating-form');
    const image = $('item-image');
    const sliders = Array.from(form.querySelectorAll('input[type=range]'));
    const groupButtons = Array.from(form.querySelectorAll('.groups button'));
    const noEmotion = $('no-emotion');
    const submit = $('submit');
    const queue = new Queue(PAGE.project_id);
    // history: items this expert already answered (oldest first); cursor === history.length
    // means "the next unanswered item" from the queue.
    let history = [];
    let cursor = 0;
    let current = null;
    let shownAt = 0;
    let busy = false;
    let pendingKey = null;  // idempotency key of the answer being sent for `current`

    const badgeFor = (slider) => $(slider.dataset.badge);
    function describe(value) {
      return value === 0 ? '0, not present' : value + ' of 7';
    }
    function paintSlider(slider) {
      const value = Number(slider.value);
      badgeFor(slider).textContent = value === 0 ? '' : String(value);
      slider.setAttribute('aria-valuetext', describe(value));
      slider.closest('.slider').classList.toggle('touched', slider.dataset.touched === '1');
    }
    function paintGroupCounts() {
      for (const button of groupButtons) {
        const panel = $(button.getAttribute('aria-controls'));
        const count = Array.from(panel.querySelectorAll('input[type=range]'))
                          .filter((s) => Number(s.value) > 0).length;
        button.querySelector('.count').textContent = count ? String(count) : '';
      }
    }
    function toggleGroup(button, focusFirst) {
      const panel = $(button.getAttribute('aria-controls'));
      const open = button.getAttribute('aria-pressed') !== 'true';
      button.setAttribute('aria-pressed', String(open));
      button.setAttribute('aria-expanded', String(open));
      panel.hidden = !open;
      $('panels-hint').hidden = groupButtons.some((b) => b.getAttribute('aria-pressed') === 'true');
      if (open && focusFirst) {
        const first = panel.querySelector('input[type=range]');
        first.focus();
        first.scrollIntoView({ block: 'nearest' });
      } else if (!open && panel.contains(document.activeElement)) {
        button.focus();  // never leave focus inside a hidden panel
      }
    }
    function resetForm(values) {
      for (const slider of sliders) {
        const value = values && values[slider.name] ? values[slider.name] : 0;
        slider.value = String(value);
        slider.dataset.touched = value > 0 ? '1' : '';
        paintSlider(slider);
      }
      noEmotion.checked = Boolean(values && values.__no_emotion);
      paintGroupCounts();
      setError('');
    }
    function collect() {
      const ratings = {};
      for (const slider of sliders) {
        const value = Number(slider.value);
        if (value > 0) ratings[slider.name] = value;
      }
      return ratings;
    }
    function updateNav() {
      $('prev').disabled = busy || cursor === 0;
      $('next').disabled = busy || cursor >= history.length;
      submit.disabled = busy || !current;
    }

    async function show(item, stored) {
      current = item;
      pendingKey = null;
      if (!item) {
        showDone('intensity-app', 'There are no more images for you in this project. Thank you!');
        return;
      }
      resetForm(stored ? Object.assign({ __no_emotion: stored.no_emotion }, stored.ratings) : null);
      image.alt = 'Face to rate (loading)';
      $('item-name').textContent = 'Image #' + (item.position !== undefined ? item.position + 1 : item.item_id);
      updateNav();
      shownAt = await showImage(image, item.image_url, 'Face to rate');
    }

    async function showCursor() {
      if (cursor < history.length) {
        const entry = history[cursor];
        const stored = await api('GET', API.myAnswer(PAGE.project_id, entry.item_id));
        const answers = stored.answers || [];
        await show(entry, answers.length ? answers[answers.length - 1].answer : null);
        setStatus('Editing your earlier answer ' + (cursor + 1) + ' of ' + history.length +
                  '. Submitting keeps the old version in the history.');
      } else {
        await show(await queue.head(), null);
        setProgress(queue.progress);
        setStatus('');
      }
    }

    async function submitAnswer() {
      if (busy || !current) return;
      const ratings = collect();
      if (Object.keys(ratings).length === 0 && !noEmotion.checked) {
        setError('Nothing is rated yet. Set at least one slider, or tick "No emotion visible" ' +
                 'if the face shows no emotion at all.');
        noEmotion.focus();
        return;
      }
      if (Object.keys(ratings).length > 0 && noEmotion.checked) {
        setError('"No emotion visible" is ticked but some sliders are above 0. ' +
                 'Untick it or set the sliders back to 0.');
        noEmotion.focus();
        return;
      }
      setError('');
      busy = true;
      updateNav();
      pendingKey = pendingKey || newKey();
      const item = current;
      try {
        const reply = await api('POST', API.answer(PAGE.project_id, item.item_id), {
          ratings,
          no_emotion: noEmotion.checked,
          response_ms: Math.max(0, Math.round(performance.now() - shownAt)),
          idempotency_key: pendingKey,
        }, { idempotencyKey: pendingKey });
        if (reply.progress) queue.progress = reply.progress;
        if (cursor < history.length) {
          cursor += 1;  // edited an earlier answer: go forward one
        } else {
          history.push({ item_id: item.item_id, image_url: item.image_url, position: item.position });
          cursor = history.length;
          queue.drop(item.item_id);
        }
        setStatus('Saved.');
        busy = false;
        await showCursor();
      } catch (error) {
        busy = false;
        if (leaseLost(error) && cursor === history.length) {
          queue.drop(item.item_id);
          setStatus('This image was reassigned while you were away; here is the next one.');
          await showCursor();
        } else {
          pendingKey = null;  // the server refused it, so a corrected answer gets a new key
          setError('Not saved: ' + error.message);
        }
      }
      updateNav();
    }

    for (const slider of sliders) {
      slider.addEventListener('input', () => {
        slider.dataset.touched = '1';
        paintSlider(slider);
        paintGroupCounts();
        setError('');
        if (Number(slider.value) > 0 && noEmotion.checked) noEmotion.checked = false;
      });
      slider.addEventListener('keydown', (event) => {
        if (event.ctrlKey || event.altKey || event.metaKey) return;
        if (/^[0-7]$/.test(event.key)) {
          event.preventDefault();
          event.stopPropagation();
          slider.value = event.key;
          slider.dispatchEvent(new Event('input', { bubbles: true }));
        } else if (event.key === 'Escape') {
          event.preventDefault();
          slider.blur();
          submit.focus();
        }
      });
    }
    for (const button of groupButtons) {
      button.addEventListener('click', () => toggleGroup(button, false));
    }
    noEmotion.addEventListener('change', () => setError(''));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submitAnswer();
    });
    $('prev').addEventListener('click', () => {
      if (cursor > 0 && !busy) {
        cursor -= 1;
        showCursor().catch((e) => setError(e.message));
      }
    });
    $('next').addEventListener('click', () => {
      if (cursor < history.length && !busy) {
        cursor += 1;
        showCursor().catch((e) => setError(e.message));
      }
    });
    document.addEventListener('keydown', (event) => {
      if (typingInField(event)) return;
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        submitAnswer();
        return;
      }
      if (event.ctrlKey || event.altKey || event.metaKey) return;
      if (event.target.type === 'range') return;  // digits on a slider set its value
      if (/^[1-7]$/.test(event.key)) {
        const button = groupButtons[Number(event.key) - 1];
        if (button) {
          event.preventDefault();
          toggleGroup(button, true);
        }
      } else if (event.key === 'x') {
        event.preventDefault();
        noEmotion.checked = !noEmotion.checked;
        setError('');
      } else if (event.key === '?') {
        const help = document.querySelector('details.shortcuts');
        help.open = !help.open;
      } else if (event.key === ',') {
        $('prev').click();
      } else if (event.key === '.') {
        $('next').click();
      }
    });

    (async () => {
      const mine = await api('GET', API.myAnswers(PAGE.project_id));
      history = (mine.answers || [])
                    .slice()
                    .sort((a, b) => a.created_ms - b.created_ms || a.event_id - b.event_id)
                    .map((entry) => ({
                      item_id: entry.item_id,
                      image_url: API.image(PAGE.project_id, entry.item_id),
                    }));
      cursor = history.length;  // resume: the first item after the last one answered
      queue.accept(PAGE.next || {});
      await queue.fill();
      await showCursor();
    })().catch((error) => setError(error.message));
  }

  // ---- Binary page --------------------------------------------------------------------
  function binaryPage() {
    const image = $('item-image');
    const queue = new Queue(PAGE.project_id);
    let current = null;
    let shownAt = 0;
    let busy = false;
    let pendingKey = null;

    async function showNext() {
      current = await queue.head();
      pendingKey = null;
      setProgress(queue.progress);
      if (!current) {
        showDone('binary-app', 'There are no more images for you in this project. Thank you!');
        return;
      }
      $('emotion-name').textContent = current.emotion || '';
      $('emotion-synonyms').textContent =
          current.text && current.text !== current.emotion ? current.text : '';
      $('answer-yes').disabled = true;
      $('answer-no').disabled = true;
      shownAt = await showImage(image, current.image_url,
                                'Face; judge whether it shows ' + (current.emotion || 'the emotion'));
      $('answer-yes').disabled = false;
      $('answer-no').disabled = false;
    }

    async function answer(value) {
      if (busy || !current || $('answer-yes').disabled) return;
      busy = true;
      pendingKey = pendingKey || newKey();
      const item = current;
      const duration = Math.max(0, Math.round(performance.now() - shownAt));
      const pressed = value ? $('answer-yes') : $('answer-no');
      pressed.setAttribute('aria-busy', 'true');
      try {
        const reply = await api('POST', API.answer(PAGE.project_id, item.item_id), {
          value, response_ms: duration, idempotency_key: pendingKey,
        }, { idempotencyKey: pendingKey });
        if (reply.progress) queue.progress = reply.progress;
        setError('');
        setStatus('Saved: ' + (value ? 'Yes' : 'No') + ' for ' + (item.emotion || '') + '.');
        queue.drop(item.item_id);
        busy = false;
        await showNext();
      } catch (error) {
        busy = false;
        if (leaseLost(error)) {
          queue.drop(item.item_id);
          setStatus('That item was reassigned while you were away; here is the next one.');
          await showNext();
        } else {
          pendingKey = null;  // the server refused it, so a corrected answer gets a new key
          setError('Not saved: ' + error.message);
        }
      } finally {
        pressed.removeAttribute('aria-busy');
      }
    }

    $('answer-yes').addEventListener('click', () => answer(true));
    $('answer-no').addEventListener('click', () => answer(false));
    document.addEventListener('keydown', (event) => {
      if (typingInField(event) || event.ctrlKey || event.altKey || event.metaKey) return;
      if (event.key === 'y' || event.key === 'Y') {
        event.preventDefault();
        answer(true);
      } else if (event.key === 'n' || event.key === 'N') {
        event.preventDefault();
        answer(false);
      }
    });
    queue.accept(PAGE.next || {});
    queue.fill().then(showNext).catch((error) => setError(error.message));
  }

  // ---- Compare page -------------------------------------------------------------------
  function comparePage() {
    const image = $('item-image');
    const queue = new Queue(PAGE.project_id);
    let current = null;
    let shownAt = 0;
    let busy = false;
    let pendingKey = null;

    function fill(listId, profile) {
      const list = $(listId);
      list.innerHTML = '';
      // Only the emotion names are shown, largest first (spec §3.4): the values would
      // invite comparing numbers instead of judging the face.
      for (const entry of (profile && profile.emotions) || []) {
        const li = document.createElement('li');
        li.textContent = entry.emotion;
        list.append(li);
      }
    }
    async function showNext() {
      current = await queue.head();
      pendingKey = null;
      setProgress(queue.progress);
      if (!current) {
        showDone('compare-app', 'There are no more comparisons for you in this project. Thank you!');
        return;
      }
      fill('profile-left', current.left);
      fill('profile-right', current.right);
      shownAt = await showImage(image, current.image_url, 'Face to compare profiles for');
    }
    async function pick(side) {
      if (busy || !current) return;
      busy = true;
      pendingKey = pendingKey || newKey();
      const item = current;
      try {
        await api('POST', API.answer(PAGE.project_id, item.item_id), {
          pick: side, response_ms: Math.max(0, Math.round(performance.now() - shownAt)),
          idempotency_key: pendingKey,
        }, { idempotencyKey: pendingKey });
        setError('');
        setStatus('Saved: ' + side + '.');
        queue.drop(item.item_id);
        busy = false;
        await showNext();
      } catch (error) {
        busy = false;
        if (leaseLost(error)) {
          queue.drop(item.item_id);
          setStatus('That item was reassigned while you were away; here is the next one.');
          await showNext();
        } else {
          pendingKey = null;  // the server refused it, so a corrected answer gets a new key
          setError('Not saved: ' + error.message);
        }
      }
    }
    $('pick-left').addEventListener('click', () => pick('left'));
    $('pick-right').addEventListener('click', () => pick('right'));
    document.addEventListener('keydown', (event) => {
      if (typingInField(event) || event.ctrlKey || event.altKey || event.metaKey) return;
      if (event.key === 'ArrowLeft') {
        event.preventDefault();
        pick('left');
      } else if (event.key === 'ArrowRight') {
        event.preventDefault();
        pick('right');
      }
    });
    queue.accept(PAGE.next || {});
    queue.fill().then(showNext).catch((error) => setError(error.message));
  }

  // Routes of docs/annotate-api.md.
  const projectUrl = (project) => '/api/projects/' + encodeURIComponent(project);
  const API = {
    next: (project, count) => projectUrl(project) + '/next?count=' + count,
    answer: (project, item) => projectUrl(project) + '/items/' + encodeURIComponent(item) + '/answer',
    myAnswers: (project) => projectUrl(project) + '/my-answers',
    myAnswer: (project, item) => projectUrl(project) + '/items/' + encodeURIComponent(item) + '/my-answer',
    image: (project, item) => '/images/' + encodeURIComponent(project) + '/' + encodeURIComponent(item),
  };

  const pages = {
    intensity: intensityPage, binary: binaryPage, compare: comparePage,
  };
  window.EmoNet = { api, PAGE, setError, setStatus };
  if (pages[PAGE.page]) pages[PAGE.page]();
})();
