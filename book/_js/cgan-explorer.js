/* The CGAN book's live digit explorer: the trained generator G(z|y) computed in the reader's browser.
 *
 * Plain JavaScript, no library and no build step. The matrix products run in a small WebAssembly
 * SIMD function that this file assembles itself (6x faster than plain JS, which stays as the
 * fallback). It reads the export of `cgan export-web` (cgan_lib/web.py): a JSON header and one
 * binary file of weights (over http), or the same two wrapped in a .js file (from disk, where a page
 * may load a script but not fetch a file). Batch normalization is already folded into the dense
 * layers, so G is: label embedding, conditioning (multiply or concatenate), four dense layers with
 * LeakyReLU 0.2 between them, tanh. Each <div class="cgan-explorer" data-...> becomes an explorer;
 * window.CGAN holds the pieces (tests call CGAN.generate with their own z).
 */
(function () {
  "use strict";
  if (window.CGAN) { window.CGAN.start(); return; }  // a second copy of the script only starts new blocks

  const SCALE = 3, GAP = 2;  // each 28 x 28 digit is drawn as 84 x 84 pixels, 2 pixels apart
  const DIRECTION_SEEDS = [1000003, 2000003];  // the two fixed random directions of the z walk
  const SCRIPT_DIR = document.currentScript ? document.currentScript.src.replace(/[^/]*$/, "") : "./";
  const LABELS = { multiply: "multiply (the tutorial)", concatenate: "concatenate (library)" };

  /* ---- numbers: float16 weights, a seeded normal generator ---- */

  let HALF = null;  // float16 bit pattern -> float32 value, all 65,536 of them
  function halfTable() {
    if (HALF) return HALF;
    HALF = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
      HALF[h] = exp === 0 ? sign * frac * 2 ** -24
        : exp === 31 ? (frac ? NaN : sign * Infinity)
        : sign * (1 + frac / 1024) * 2 ** (exp - 15);
    }
    return HALF;
  }

  function decode(header, buffer) {  // the weights as one Float32Array (typed arrays are little-endian here)
    if (header.dtype === "float32") return new Float32Array(buffer);
    const bits = new Uint16Array(buffer), table = halfTable(), out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
    return out;
  }

  /* count normal numbers from `seed`: mulberry32 uniforms, Box-Muller pairs. Same seed, same numbers. */
  function normals(seed, count) {
    let a = seed >>> 0;
    const uniform = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const out = new Float32Array(count);
    for (let i = 0; i < count; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - uniform())), angle = 2 * Math.PI * uniform();
      out[i] = r * Math.cos(angle);
      if (i + 1 < count) out[i + 1] = r * Math.sin(angle);
    }
    return out;
  }

  /* ---- the matrix product in WebAssembly SIMD, assembled here (516 bytes, no build step) ----
     dense(W, X, Y, B, I, O, N), byte pointers into the imported memory, I and N multiples of 4:
     for each block of 4 rows s and each output o, Y[s + k, o] = B[o] + sum_i W[o, i] X[s + k, i],
     four products per f32x4 instruction. Browsers without WebAssembly SIMD use matmulJS instead. */
  function simdModule() {
    const leb = n => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
    const get = i => [0x20, i], set = i => [0x21, i], tee = i => [0x22, i], i32 = n => [0x41, ...leb(n)];  // n < 64
    const add = 0x6a, mul = 0x6c, ltu = 0x49, loop = [0x03, 0x40], end = 0x0b, again = [0x0d, 0];
    const v128load = [0xfd, 0x00, 0x04, 0x00], f32x4add = [0xfd, 0xe4, 0x01], f32x4mul = [0xfd, 0xe6, 0x01];
    const lane = k => [0xfd, 0x1f, k], f32add = 0x92, f32load = [0x2a, 0x02, 0x00], f32store = [0x38, 0x02, 0x00];
    const [W, X, Y, B, I, O, N, s, o, i, w, x0, x1, x2, x3, rb, yp, ob] = Array.from({ length: 18 }, (_, k) => k);
    const A = [18, 19, 20, 21], v = 22, bias = 23, zero = [0xfd, 0x0c, ...new Array(16).fill(0)];
    const hsum = a => [...get(a), ...lane(0), ...get(a), ...lane(1), f32add, ...get(a), ...lane(2), f32add, ...get(a), ...lane(3), f32add];
    const code = [
      0x03, 11, 0x7f, 5, 0x7b, 1, 0x7d,  // locals: 11 i32, 5 v128, 1 f32
      ...get(I), ...i32(4), mul, ...set(rb), ...get(O), ...i32(4), mul, ...set(ob), ...i32(0), ...set(s),
      ...loop,  // over blocks of 4 rows
      ...get(X), ...get(s), ...get(rb), mul, add, ...tee(x0), ...get(rb), add, ...tee(x1), ...get(rb), add,
      ...tee(x2), ...get(rb), add, ...set(x3), ...i32(0), ...set(o),
      ...loop,  // over outputs
      ...A.flatMap(a => [...zero, ...set(a)]), ...get(W), ...get(o), ...get(rb), mul, add, ...set(w), ...i32(0), ...set(i),
      ...loop,  // over inputs, 4 at a time
      ...get(w), ...get(i), add, ...v128load, ...set(v),
      ...[x0, x1, x2, x3].flatMap((x, k) => [...get(A[k]), ...get(v), ...get(x), ...get(i), add, ...v128load, ...f32x4mul, ...f32x4add, ...set(A[k])]),
      ...get(i), ...i32(16), add, ...tee(i), ...get(rb), ltu, ...again, end,
      ...get(B), ...get(o), ...i32(4), mul, add, ...f32load, ...set(bias),
      ...get(Y), ...get(s), ...get(ob), mul, add, ...get(o), ...i32(4), mul, add, ...set(yp),
      ...A.flatMap((a, k) => [...get(yp), ...(k ? [...get(ob), ...i32(k), mul, add] : []), ...hsum(a), ...get(bias), f32add, ...f32store]),
      ...get(o), ...i32(1), add, ...tee(o), ...get(O), ltu, ...again, end,
      ...get(s), ...i32(4), add, ...tee(s), ...get(N), ltu, ...again, end,
      end,
    ];
    const section = (id, bytes) => [id, ...leb(bytes.length), ...bytes];
    const name = t => [t.length, ...Array.from(t, c => c.charCodeAt(0))];
    const bytes = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, [1, 0x60, 7, ...new Array(7).fill(0x7f), 0]),  // type: (7 x i32) -> ()
      ...section(2, [1, ...name("env"), ...name("mem"), 0x02, 0x00, 0x01]),  // import env.mem
      ...section(3, [1, 0]),
      ...section(7, [1, ...name("dense"), 0x00, 0x00]),
      ...section(10, [1, ...leb(code.length), ...code]),
    ]);
    try { return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null; } catch (e) { return null; }
  }
  const SIMD = typeof WebAssembly === "object" ? simdModule() : null;

  /* ---- the model ---- */

  function model(header, buffer) {
    const values = decode(header, buffer);
    if (values.length !== header.values) throw new Error(`weights hold ${values.length} values, not ${header.values}`);
    const tensor = name => {
      const spec = header.tensors[name], size = spec.shape.reduce((a, b) => a * b, 1);
      return values.subarray(spec.offset, spec.offset + size);
    };
    const m = {
      header, conditioning: header.conditioning, latentDim: header.latent_dim, numClasses: header.num_classes,
      pixels: header.image_shape[0] * header.image_shape[1], width: header.image_shape[1],
      embedding: tensor("label_embedding"),
      layers: header.layers.map(l => Object.assign({}, l, {
        weight: tensor(l.name + "/weight"), bias: tensor(l.name + "/bias"),
        at: { weight: 4 * header.tensors[l.name + "/weight"].offset, bias: 4 * header.tensors[l.name + "/bias"].offset },
      })),
    };
    if (SIMD) {  // the weights in WebAssembly memory, at byte 4 * offset; scratch rows after them
      m.scratch = 16 * Math.ceil(values.length / 4);
      m.memory = new WebAssembly.Memory({ initial: Math.ceil(m.scratch / 65536) + 1 });
      new Float32Array(m.memory.buffer).set(values);
      m.kernel = new WebAssembly.Instance(SIMD, { env: { mem: m.memory } }).exports.dense;
    }
    return m;
  }

  /* x W^T + b for n rows of x; W is (out, in). Plain JS: the inner loop takes 2 outputs for 4 rows
     at once, so each weight read serves 4 rows (measured: 1.8x faster than 1 output x 4 rows). */
  function matmulJS(layer, x, n) {
    const I = layer.inputs, O = layer.units, W = layer.weight, b = layer.bias, y = new Float32Array(n * O);
    const one = (s, o) => {  // a single output of a single row: the leftovers of the blocks
      let a = b[o];
      for (let i = 0, w0 = o * I, x0 = s * I; i < I; i++) a += W[w0 + i] * x[x0 + i];
      y[s * O + o] = a;
    };
    let s = 0;
    for (; s + 4 <= n; s += 4) {
      const x0 = s * I, x1 = x0 + I, x2 = x1 + I, x3 = x2 + I, y0 = s * O, y1 = y0 + O, y2 = y1 + O, y3 = y2 + O;
      let o = 0;
      for (; o + 2 <= O; o += 2) {
        const w0 = o * I, w1 = w0 + I;
        let a0 = b[o], a1 = a0, a2 = a0, a3 = a0, c0 = b[o + 1], c1 = c0, c2 = c0, c3 = c0;
        for (let i = 0; i < I; i++) {
          const u = W[w0 + i], v = W[w1 + i], p = x[x0 + i], q = x[x1 + i], r = x[x2 + i], t = x[x3 + i];
          a0 += u * p; a1 += u * q; a2 += u * r; a3 += u * t;
          c0 += v * p; c1 += v * q; c2 += v * r; c3 += v * t;
        }
        y[y0 + o] = a0; y[y1 + o] = a1; y[y2 + o] = a2; y[y3 + o] = a3;
        y[y0 + o + 1] = c0; y[y1 + o + 1] = c1; y[y2 + o + 1] = c2; y[y3 + o + 1] = c3;
      }
      for (; o < O; o++) for (let k = 0; k < 4; k++) one(s + k, o);
    }
    for (; s < n; s++) for (let o = 0; o < O; o++) one(s, o);
    return y;
  }

  /* The same product in WebAssembly SIMD (4 floats per instruction; rows padded to a multiple of 4). */
  function matmulSIMD(m, layer, x, n) {
    const I = layer.inputs, O = layer.units, rows = 4 * Math.ceil(n / 4);
    const X = m.scratch, Y = X + 4 * rows * I, need = Y + 4 * rows * O;
    if (need > m.memory.buffer.byteLength) m.memory.grow(Math.ceil((need - m.memory.buffer.byteLength) / 65536));
    const f32 = new Float32Array(m.memory.buffer);
    f32.set(x, X / 4);
    f32.fill(0, X / 4 + n * I, X / 4 + rows * I);
    m.kernel(layer.at.weight, X, Y, layer.at.bias, I, O, rows);
    return f32.slice(Y / 4, Y / 4 + n * O);
  }

  /* activation(x W^T + b): LeakyReLU, tanh or none, as the header says. */
  function dense(m, layer, x, n) {
    const y = m.kernel && window.CGAN.simd && layer.inputs % 4 === 0 ? matmulSIMD(m, layer, x, n) : matmulJS(layer, x, n);
    if (layer.activation === "leaky_relu") {
      const slope = layer.negative_slope;
      for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] *= slope;
    } else if (layer.activation === "tanh") {
      for (let i = 0; i < y.length; i++) y[i] = Math.tanh(y[i]);
    }
    return y;
  }

  /* G(z | (1 - t) e(digit) + t e(other)) for the n rows of z (Float32Array n * latentDim):
     n images of 28 x 28 values in [0, 1], as Keras in inference mode, then (x + 1) / 2. */
  function generate(m, z, digit, other = digit, t = 0) {
    const L = m.latentDim, n = z.length / L, E = m.embedding, label = new Float32Array(L);
    for (let j = 0; j < L; j++) label[j] = (1 - t) * E[digit * L + j] + t * E[other * L + j];
    let h;
    if (m.conditioning === "multiply") {
      h = new Float32Array(n * L);
      for (let i = 0; i < n * L; i++) h[i] = z[i] * label[i % L];
    } else {
      h = new Float32Array(n * 2 * L);
      for (let s = 0; s < n; s++) {
        h.set(z.subarray(s * L, (s + 1) * L), s * 2 * L);
        h.set(label, s * 2 * L + L);
      }
    }
    for (const layer of m.layers) h = dense(m, layer, h, n);
    for (let i = 0; i < h.length; i++) h[i] = Math.min(1, Math.max(0, (h[i] + 1) / 2));
    return h;
  }

  /* ---- loading: fetch over http(s); from disk, a <script> with the same bytes ---- */

  const loaded = {};
  function load(folder, conditioning) {
    const name = "generator_" + conditioning, url = folder + name;
    if (!loaded[url]) loaded[url] = (/^https?:$/.test(location.protocol) ? fetchModel(url) : scriptModel(url, name));
    loaded[url].catch(() => delete loaded[url]);  // a failed load may be tried again
    return loaded[url];
  }

  async function fetchModel(url) {
    const get = async (u, how) => {
      const r = await fetch(u);
      if (!r.ok) throw new Error(`${u}: HTTP ${r.status}`);
      return r[how]();
    };
    const header = await get(url + ".json", "json");
    return model(header, await get(url.replace(/[^/]*$/, "") + header.weights, "arrayBuffer"));
  }

  function scriptModel(url, name) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url + ".js";
      script.onerror = () => reject(new Error("could not load " + script.src));
      script.onload = () => {
        const wrapped = (window.cganGenerators || {})[name];
        if (!wrapped) return reject(new Error(script.src + " holds no generator " + name));
        delete window.cganGenerators[name];
        const bytes = atob(wrapped.base64), buffer = new Uint8Array(bytes.length);
        for (let i = 0; i < bytes.length; i++) buffer[i] = bytes.charCodeAt(i);
        try { resolve(model(wrapped.header, buffer.buffer)); } catch (e) { reject(e); }
      };
      document.head.appendChild(script);
    });
  }

  /* ---- the explorer ---- */

  const CSS = `
.cgan-explorer canvas { display: block; margin: 0.5em 0; background: #808080; max-width: 100%; image-rendering: pixelated; }
.cgan-explorer .cgan-controls { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(15em, 100%), 1fr)); gap: 0.4em 1.2em; }
.cgan-explorer .cgan-control { display: flex; align-items: center; gap: 0.5em; min-width: 0; }
.cgan-explorer .cgan-control label { min-width: 6.5em; }
.cgan-explorer .cgan-control input[type=range] { flex: 1; min-width: 6em; }
.cgan-explorer .cgan-control input[type=number] { width: 7em; min-width: 0; }
.cgan-explorer .cgan-control select { flex: 1; min-width: 0; max-width: 100%; }
.cgan-explorer .cgan-control button { white-space: nowrap; }
.cgan-explorer output { min-width: 2.5em; font-variant-numeric: tabular-nums; }
.cgan-explorer .cgan-status { font-size: 0.85em; opacity: 0.8; margin: 0.3em 0 0; }`;

  let count = 0;
  const explorers = [];

  function control(box, id, text, input, readout) {
    const row = document.createElement("div"), label = document.createElement("label");
    row.className = "cgan-control";
    label.htmlFor = input.id = id;
    label.textContent = text;
    row.append(label, input);
    if (readout) {
      const out = document.createElement("output");
      out.htmlFor = id;
      row.append(out);
      input.readout = out;
    }
    box.append(row);
    return input;
  }

  function element(tag, props) { return Object.assign(document.createElement(tag), props); }
  function range(min, max, step, value) { return element("input", { type: "range", min, max, step, value }); }

  async function explorer(root) {
    const d = root.dataset, k = count++, id = name => `cgan-explorer-${k}-${name}`;
    const shown = new Set((d.controls || "digit,seed,samples,same_z,blend,walk,generator").split(","));
    const folder = (d.static ? d.static.replace(/\/?$/, "/") : SCRIPT_DIR);
    const note = root.querySelector(".cgan-explorer-note");
    const status = element("p", { className: "cgan-status" });
    status.setAttribute("aria-live", "polite");
    status.textContent = "Loading the generator…";
    root.append(status);

    const self = { root, draws: 0, ms: [], state: null, model: null };
    let m;
    try {
      m = self.model = await load(folder, "multiply");
    } catch (e) {
      status.textContent = "The live explorer could not load the generator (" + e.message + ").";
      return self;
    }
    if (note) note.remove();

    const canvas = element("canvas", { height: m.width * SCALE });
    canvas.setAttribute("role", "img");
    const box = element("div", { className: "cgan-controls" });
    const c = {};
    if (shown.has("digit")) c.digit = control(box, id("digit"), "digit", range(0, m.numClasses - 1, 1, d.digit || 3), true);
    if (shown.has("seed")) {
      c.seed = control(box, id("seed"), "seed", element("input", { type: "number", min: 0, max: 2147483647, step: 1, value: d.seed || 0 }));
      c.newZ = element("button", { type: "button", textContent: "new z", title: "draw new noise: seed + 1" });
      c.seed.parentNode.append(c.newZ);
    }
    if (shown.has("samples")) c.samples = control(box, id("samples"), "samples", range(1, 8, 1, d.samples || 8), true);
    if (shown.has("same_z")) c.sameZ = control(box, id("same-z"), "same z", element("input", { type: "checkbox", checked: true }));
    if (shown.has("blend")) {
      c.blend = control(box, id("blend"), "blend", range(0, 1, 0.05, 0), true);
      c.blendTo = control(box, id("blend-to"), "blend to", range(0, m.numClasses - 1, 1, 8), true);
    }
    if (shown.has("walk")) {
      c.walk1 = control(box, id("walk-1"), "z direction 1", range(-1, 1, 0.05, 0), true);
      c.walk2 = control(box, id("walk-2"), "z direction 2", range(-1, 1, 0.05, 0), true);
    }
    if (shown.has("generator")) {
      c.generator = control(box, id("generator"), "generator", element("select"));
      for (const value of ["multiply", "concatenate"]) c.generator.append(element("option", { value, textContent: LABELS[value] }));
    }
    root.insertBefore(canvas, status);
    root.insertBefore(box, status);

    const directions = DIRECTION_SEEDS.map(s => normals(s, m.latentDim));
    const num = (input, fallback) => (input ? Number(input.value) : fallback);
    let seed = Math.max(0, Math.floor(num(c.seed, Number(d.seed) || 0)));

    function read() {
      return {
        digit: num(c.digit, Number(d.digit) || 0), seed, samples: num(c.samples, Number(d.samples) || 8),
        blend: num(c.blend, 0), blendTo: num(c.blendTo, 0), walk: [num(c.walk1, 0), num(c.walk2, 0)],
        conditioning: c.generator ? c.generator.value : "multiply",
      };
    }

    function draw() {
      const s = self.state = read(), L = m.latentDim, begin = performance.now();
      const z = normals(s.seed, s.samples * L);
      for (let i = 0; i < z.length; i++) z[i] += s.walk[0] * directions[0][i % L] + s.walk[1] * directions[1][i % L];
      const images = generate(m, z, s.digit, s.blendTo, s.blend);
      const size = m.width, big = size * SCALE, width = s.samples * (big + GAP) - GAP;
      canvas.width = width;
      const ctx = canvas.getContext("2d"), picture = ctx.createImageData(width, big), px = picture.data;
      px.fill(128);
      for (let n = 0; n < s.samples; n++) {
        for (let y = 0; y < big; y++) {
          for (let x = 0; x < big; x++) {
            const v = Math.round(255 * images[n * m.pixels + Math.floor(y / SCALE) * size + Math.floor(x / SCALE)]);
            const p = 4 * (y * width + n * (big + GAP) + x);
            px[p] = px[p + 1] = px[p + 2] = v;
          }
        }
      }
      for (let p = 3; p < px.length; p += 4) px[p] = 255;
      ctx.putImageData(picture, 0, 0);
      const ms = performance.now() - begin;
      self.ms.push(ms);
      self.draws++;
      root.dataset.draws = self.draws;
      const what = s.blend > 0 ? `${s.digit} blended ${s.blend.toFixed(2)} towards ${s.blendTo}` : `${s.digit}`;
      canvas.setAttribute("aria-label", `${s.samples} generated images of the digit ${what} (seed ${s.seed})`);
      status.textContent = `${s.samples} × G(z | ${what}), seed ${s.seed}: computed and drawn by your browser in ${ms.toFixed(1)} ms.`;
      for (const input of Object.values(c)) if (input.readout) input.readout.value = input.value;
    }

    if (c.digit) c.digit.addEventListener("input", () => {
      if (c.sameZ && !c.sameZ.checked) { seed += 1; if (c.seed) c.seed.value = seed; }
      draw();
    });
    if (c.seed) {
      c.seed.addEventListener("input", () => {
        const v = Number(c.seed.value);
        if (Number.isInteger(v) && v >= 0 && v <= 2147483647) { seed = v; draw(); }
      });
      c.newZ.addEventListener("click", () => { seed += 1; c.seed.value = seed; draw(); });
    }
    for (const input of [c.samples, c.blend, c.blendTo, c.walk1, c.walk2]) if (input) input.addEventListener("input", draw);
    if (c.generator) c.generator.addEventListener("change", async () => {
      const want = c.generator.value;
      status.textContent = `Loading the ${LABELS[want]} generator…`;
      try { m = self.model = await load(folder, want); draw(); } catch (e) { status.textContent = e.message; }
    });
    self.controls = c;
    self.draw = draw;
    generate(m, normals(0, 4 * m.latentDim), 0);  // warm-up: the first run of the loops is not yet compiled
    draw();
    return self;
  }

  function start() {
    if (!document.getElementById("cgan-explorer-style")) {
      document.head.append(element("style", { id: "cgan-explorer-style", textContent: CSS }));
    }
    for (const root of document.querySelectorAll(".cgan-explorer:not([data-started])")) {
      root.dataset.started = "true";
      explorers.push(explorer(root));
    }
  }

  window.CGAN = { generate, normals, load, model, start, explorers, simd: true };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
