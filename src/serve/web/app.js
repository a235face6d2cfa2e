// The facenet serve page: plain browser JavaScript over the /v1 API (no framework, no build step).
const $ = (id) => document.getElementById(id);
const keyInput = $('api-key');
keyInput.value = localStorage.getItem('facenet-api-key') ?? '';
keyInput.addEventListener('change', () => localStorage.setItem('facenet-api-key', keyInput.value));

/** fetch against the API with the key; resolves to the JSON body, rejects with the API's error message. */
async function api(method, url, body) {
  const headers = {};
  if (keyInput.value) headers['x-api-key'] = keyInput.value;
  const res = await fetch(url, { method, headers, body });
  const json = await res.json().catch(() => ({ error: { code: 'BAD_RESPONSE', message: `HTTP ${res.status}` } }));
  if (!res.ok) throw new Error(`${json.error?.code ?? res.status}: ${json.error?.message ?? 'request failed'}`);
  return json;
}

function setStatus(el, text, isError = false) {
  el.textContent = text;
  el.classList.toggle('error', isError);
}

async function refreshSubjects() {
  const list = $('subject-list');
  try {
    const { subjects } = await api('GET', '/v1/subjects');
    list.replaceChildren(
      ...subjects.map((s) => {
        const li = document.createElement('li');
        const name = document.createElement('span');
        name.textContent = `${s.name} (${s.faces} face${s.faces === 1 ? '' : 's'})`;
        const del = document.createElement('button');
        del.textContent = 'Delete';
        del.dataset.subject = s.name;
        del.addEventListener('click', async () => {
          if (!confirm(`Delete ${s.name} and all their faces?`)) return;
          try {
            await api('DELETE', `/v1/subjects/${encodeURIComponent(s.name)}`);
          } catch (e) {
            alert(e.message);
          }
          refreshSubjects();
        });
        li.append(name, del);
        return li;
      }),
    );
  } catch (e) {
    list.replaceChildren(Object.assign(document.createElement('li'), { textContent: e.message }));
  }
}

$('enroll-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const status = $('enroll-status');
  const name = $('enroll-name').value.trim();
  const files = [...$('enroll-files').files];
  if (!name || files.length === 0) return setStatus(status, 'give a name and at least one photo', true);
  const form = new FormData();
  for (const f of files) form.append('image', f, f.name);
  setStatus(status, `enrolling ${files.length} photo(s)…`);
  try {
    const r = await api('POST', `/v1/subjects/${encodeURIComponent(name)}/faces`, form);
    setStatus(status, `enrolled ${r.faces.length} face(s) of ${r.subject}`);
    $('enroll-form').reset();
    refreshSubjects();
  } catch (e) {
    setStatus(status, e.message, true);
  }
});

/** Draws the image, then a box and a label per face; the labels drawn are also listed (and kept in data-labels). */
function drawResult(source, width, height, faces) {
  const canvas = $('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  g.drawImage(source, 0, 0, width, height);
  const labels = [];
  g.lineWidth = Math.max(2, width / 200);
  g.font = `${Math.max(12, Math.round(width / 28))}px system-ui, sans-serif`;
  for (const f of faces) {
    const [x1, y1, x2, y2] = f.box;
    const best = f.matches[0];
    const label = f.unknown || !best ? 'unknown' : `${best.subject} (${best.similarity.toFixed(2)})`;
    labels.push(f.unknown || !best ? 'unknown' : best.subject);
    g.strokeStyle = f.unknown ? '#e53935' : '#43a047';
    g.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const tw = g.measureText(label).width + 8;
    const th = parseInt(g.font, 10) + 6;
    const ty = y1 - th >= 0 ? y1 - th : y2;
    g.fillStyle = g.strokeStyle;
    g.fillRect(x1, ty, tw, th);
    g.fillStyle = '#fff';
    g.fillText(label, x1 + 4, ty + th - 6);
  }
  canvas.dataset.labels = JSON.stringify(labels);
  $('labels').replaceChildren(...labels.map((l) => Object.assign(document.createElement('li'), { textContent: l })));
  return labels;
}

async function identifyBlob(blob, source, width, height) {
  const form = new FormData();
  form.append('image', blob, 'frame.jpg');
  const { faces } = await api('POST', '/v1/identify', form);
  drawResult(source, width, height, faces);
  return faces;
}

$('identify-file').addEventListener('change', async () => {
  const file = $('identify-file').files[0];
  if (!file) return;
  const status = $('identify-status');
  setStatus(status, 'identifying…');
  try {
    const bitmap = await createImageBitmap(file);
    const faces = await identifyBlob(file, bitmap, bitmap.width, bitmap.height);
    setStatus(status, faces.length === 0 ? 'no face found' : `${faces.length} face(s)`);
  } catch (e) {
    setStatus(status, e.message, true);
  }
});

// Webcam: a frame every 400 ms (the next one only after the previous answer, so requests never pile up).
let webcam = null;
$('webcam-toggle').addEventListener('click', async () => {
  const button = $('webcam-toggle');
  const status = $('identify-status');
  if (webcam) {
    webcam.stop();
    webcam = null;
    button.textContent = 'Start webcam';
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    const video = $('video');
    video.srcObject = stream;
    await video.play();
    let running = true;
    const grab = document.createElement('canvas');
    const tick = async () => {
      if (!running) return;
      const w = video.videoWidth;
      const h = video.videoHeight;
      if (w > 0) {
        grab.width = w;
        grab.height = h;
        grab.getContext('2d').drawImage(video, 0, 0);
        const blob = await new Promise((r) => grab.toBlob(r, 'image/jpeg', 0.85));
        try {
          await identifyBlob(blob, grab, w, h);
          setStatus(status, 'webcam');
        } catch (e) {
          setStatus(status, e.message, true);
        }
      }
      if (running) setTimeout(tick, 400);
    };
    webcam = { stop: () => { running = false; stream.getTracks().forEach((t) => t.stop()); } };
    button.textContent = 'Stop webcam';
    tick();
  } catch (e) {
    setStatus(status, `webcam: ${e.message}`, true);
  }
});

$('refresh').addEventListener('click', refreshSubjects);

async function showHealth() {
  try {
    const h = await fetch('/v1/health').then((r) => r.json());
    $('health').textContent = `${h.status} · model ${h.model}`;
  } catch {
    $('health').textContent = 'server unreachable';
  }
}
showHealth();
refreshSubjects();
