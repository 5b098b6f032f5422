// ONNX Runtime peer of bench/engine_bench: runs the ONNX export of the same model
// (bench/onnx_export.py) with onnxruntime-node's CPU execution provider, timed the same
// way (one warm-up, then --iters timed runs per batch size, medians). Prints one JSON
// object per batch size, like engine_bench.
//
//   node ort_peer.mjs --model FILE.onnx [--batch 1,8] [--threads 2] [--iters 3] [--size 384]
//   [--gflop 519]
import ort from 'onnxruntime-node';

function args() {
  const a = { batch: '1,8', threads: 2, iters: 3, size: 384, gflop: 519 };
  const v = process.argv.slice(2);
  for (let i = 0; i + 1 < v.length; i += 2) a[v[i].replace(/^--/, '')] = v[i + 1];
  if (!a.model) {
    console.error('usage: node ort_peer.mjs --model FILE.onnx [--batch 1,8] [--threads 2] [--iters 3]');
    process.exit(2);
  }
  return a;
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

// Deterministic uniform(-1, 1) pixels (the values do not matter for timing).
function pixels(n) {
  const out = new Float32Array(n);
  let state = 1;
  for (let i = 0; i < n; ++i) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2147483648 - 1;
  }
  return out;
}

const a = args();
const threads = Number(a.threads), iters = Number(a.iters), size = Number(a.size);
const t0 = performance.now();
const session = await ort.InferenceSession.create(a.model, {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
});
const load = (performance.now() - t0) / 1000;
for (const b of a.batch.split(',').map(Number)) {
  const input = new ort.Tensor('float32', pixels(b * 3 * size * size), [b, 3, size, size]);
  await session.run({ pixels: input });  // warm-up
  const times = [], cpu = [];
  for (let i = 0; i < iters; ++i) {
    const s = performance.now(), c = process.cpuUsage();
    await session.run({ pixels: input });
    times.push((performance.now() - s) / 1000);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1e6);
  }
  const med = median(times);
  console.log(JSON.stringify({
    engine: `onnxruntime-node ${ort.env.versions?.common ?? ''}`.trim(), precision: 'fp32', batch: b,
    threads, load_s: +load.toFixed(3), median_s: +med.toFixed(4), images_per_s: +(b / med).toFixed(4),
    gflop_per_s: +(Number(a.gflop) * b / med).toFixed(1), cpu_s_per_image: +(median(cpu) / b).toFixed(3),
  }));
}
