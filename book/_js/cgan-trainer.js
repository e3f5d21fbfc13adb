/* The CGAN book's "train it here" page: the tutorial's CGAN trained in the reader's browser tab.
 *
 * Plain JavaScript, no library and no build step, like the page explorer (cgan-explorer.js). The
 * engine is the tutorial's exact G and D (multiply or concatenate conditioning; G: Dense 256-512-1024
 * with LeakyReLU 0.2 then BatchNorm momentum 0.8 in training mode, tanh 784; D: Dense 512 x 3 with
 * LeakyReLU 0.2, Dropout 0.4 after the second and third, sigmoid), BCE, Adam(2e-4, beta_1 0.5),
 * batch 32, written out by hand: forward, backward and Adam. Each iteration is the library's:
 * G makes fakes (training mode) for a real batch's labels; D learns "real" on the batch and "fake"
 * on the fakes; G learns through D with the same z and fresh labels.
 *
 * The matrix products and Adam run in WebAssembly SIMD functions this file assembles itself; a
 * browser without WebAssembly SIMD runs the same loops in plain JavaScript (slower, and the page
 * says so). The digits come from `python -m cgan_lib.web_trainer` (cgan_lib/web_trainer.py): the
 * 4,000 training images of the real MNIST subset the book uses offline, gzip-compressed, as a .js
 * file (a page opened from disk may load a script but not fetch a file). window.CGANTrainer holds
 * the engine; each <div class="cgan-trainer"> becomes a trainer, and window.cganTrainer is the first.
 */
(function () {
  "use strict";
  if (window.CGANTrainer) { window.CGANTrainer.start(); return; }
  const SCRIPT_DIR = document.currentScript ? document.currentScript.src.replace(/[^/]*$/, "") : "./";

  /* ---- random numbers: mulberry32 uniforms, Box-Muller normals; same seed, same numbers ---- */

  function Random(seed) {
    let a = seed >>> 0, spare = null;
    const uniform = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const normal = () => {
      if (spare !== null) { const s = spare; spare = null; return s; }
      const r = Math.sqrt(-2 * Math.log(1 - uniform())), angle = 2 * Math.PI * uniform();
      spare = r * Math.sin(angle);
      return r * Math.cos(angle);
    };
    return { uniform, normal, int: n => Math.floor(uniform() * n), state: () => [a, spare], restore: s => { a = s[0]; spare = s[1]; } };
  }

  /* ---- WebAssembly SIMD kernels, assembled here (no build step) ----
     nt(W, X, Y, B, I, O, N):       Y[s, o] = B[o] + sum_i W[o, i] X[s, i]      (x W^T + b: forward)
     nn(A, B, C, R, K, J, acc):     C[r, j] = acc C[r, j] + sum_k A[r, k] B[k, j]  (dY W, dY^T X: backward)
     adam(P, G, M, V, n, alpha, c1, c2, eps): Keras' Adam step on n values
     Pointers are byte offsets into one memory; I, J, n multiples of 4; N, R multiples of 4. */
  function uleb(n) { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; }
  function sleb(n) {
    const out = [];
    for (;;) {
      const b = n & 0x7f; n >>= 7;
      if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { out.push(b); return out; }
      out.push(b | 0x80);
    }
  }
  const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
  const op = {
    get: i => [0x20, i], set: i => [0x21, i], tee: i => [0x22, i], i32: n => [0x41, ...sleb(n)],
    add: [0x6a], mul: [0x6c], ltu: [0x49], loop: [0x03, 0x40], if: [0x04, 0x40], else: [0x05], end: [0x0b], again: [0x0d, 0],
    f32load: [0x2a, 0x02, 0x00], f32store: [0x38, 0x02, 0x00], f32add: [0x92],
    vload: [0xfd, 0x00, 0x04, 0x00], vstore: [0xfd, 0x0b, 0x04, 0x00], splat: [0xfd, 0x13],
    lane: k => [0xfd, 0x1f, k], vadd: [0xfd, 0xe4, 0x01], vsub: [0xfd, 0xe5, 0x01], vmul: [0xfd, 0xe6, 0x01],
    vdiv: [0xfd, 0xe7, 0x01], vsqrt: [0xfd, 0xe3, 0x01], vzero: [0xfd, 0x0c, ...new Array(16).fill(0)],
  };

  function ntBody() {  // the explorer's kernel: 4 rows of X per output, four products per instruction
    const { get, set, tee, i32, add, mul, ltu, loop, end, again, vload, lane, f32add, f32load, f32store, vmul, vadd, vzero } = op;
    const [W, X, Y, B, I, O, N, s, o, i, w, x0, x1, x2, x3, rb, yp, ob] = Array.from({ length: 18 }, (_, k) => k);
    const A = [18, 19, 20, 21], v = 22, bias = 23;
    const hsum = a => [...get(a), ...lane(0), ...get(a), ...lane(1), ...f32add, ...get(a), ...lane(2), ...f32add, ...get(a), ...lane(3), ...f32add];
    return {
      params: 7, locals: [[11, I32], [5, V128], [1, F32]], code: [
        ...get(I), ...i32(4), ...mul, ...set(rb), ...get(O), ...i32(4), ...mul, ...set(ob), ...i32(0), ...set(s),
        ...loop,
        ...get(X), ...get(s), ...get(rb), ...mul, ...add, ...tee(x0), ...get(rb), ...add, ...tee(x1), ...get(rb), ...add,
        ...tee(x2), ...get(rb), ...add, ...set(x3), ...i32(0), ...set(o),
        ...loop,
        ...A.flatMap(a => [...vzero, ...set(a)]), ...get(W), ...get(o), ...get(rb), ...mul, ...add, ...set(w), ...i32(0), ...set(i),
        ...loop,
        ...get(w), ...get(i), ...add, ...vload, ...set(v),
        ...[x0, x1, x2, x3].flatMap((x, k) => [...get(A[k]), ...get(v), ...get(x), ...get(i), ...add, ...vload, ...vmul, ...vadd, ...set(A[k])]),
        ...get(i), ...i32(16), ...add, ...tee(i), ...get(rb), ...ltu, ...again, ...end,
        ...get(B), ...get(o), ...i32(4), ...mul, ...add, ...f32load, ...set(bias),
        ...get(Y), ...get(s), ...get(ob), ...mul, ...add, ...get(o), ...i32(4), ...mul, ...add, ...set(yp),
        ...A.flatMap((a, k) => [...get(yp), ...(k ? [...get(ob), ...i32(k), ...mul, ...add] : []), ...hsum(a), ...get(bias), ...f32add, ...f32store]),
        ...get(o), ...i32(1), ...add, ...tee(o), ...get(O), ...ltu, ...again, ...end,
        ...get(s), ...i32(4), ...add, ...tee(s), ...get(N), ...ltu, ...again, ...end,
        ...end,
      ],
    };
  }

  /* C (R x J) = acc C + A (R x K) B (K x J): blocks of 4 rows x 8 columns, so each B vector serves
     4 rows and each broadcast A value 2 vectors. J a multiple of 8 here; the caller handles the rest. */
  function nnBody() {
    const { get, set, tee, i32, add, mul, ltu, loop, end, again, vload, vstore, splat, f32load, vmul, vadd, vzero } = op;
    const [A, B, C, R, K, J, acc] = [0, 1, 2, 3, 4, 5, 6];
    const [r, j, k, ra, rc, rowA, rowB, pa, pb, pc] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
    const c = [17, 18, 19, 20, 21, 22, 23, 24], b0 = 25, b1 = 26, a = 27;  // c[2 m + h]: row m, half h
    const rowAt = (base, m, stride) => [...get(base), ...(m ? [...get(stride), ...i32(m), ...mul, ...add] : [])];
    return {
      params: 7, locals: [[10, I32], [11, V128]], code: [
        ...get(K), ...i32(4), ...mul, ...set(rowA), ...get(J), ...i32(4), ...mul, ...set(rowB), ...i32(0), ...set(r),
        ...loop,  // blocks of 4 rows
        ...get(A), ...get(r), ...get(rowA), ...mul, ...add, ...set(ra),
        ...get(C), ...get(r), ...get(rowB), ...mul, ...add, ...set(rc), ...i32(0), ...set(j),
        ...loop,  // blocks of 8 columns (j in bytes)
        ...get(acc), ...op.if,
        ...[0, 1, 2, 3].flatMap(m => [0, 1].flatMap(h => [...rowAt(rc, m, rowB), ...get(j), ...add, ...vloadAt(16 * h), ...set(c[2 * m + h])])),
        ...op.else,
        ...c.flatMap(x => [...vzero, ...set(x)]),
        ...end,
        ...get(B), ...get(j), ...add, ...set(pb), ...get(ra), ...set(pa), ...i32(0), ...set(k),
        ...loop,  // over k
        ...get(pb), ...vload, ...set(b0), ...get(pb), ...vloadAt(16), ...set(b1),
        ...[0, 1, 2, 3].flatMap(m => [
          ...rowAt(pa, m, rowA), ...f32load, ...splat, ...set(a),
          ...get(c[2 * m]), ...get(a), ...get(b0), ...vmul, ...vadd, ...set(c[2 * m]),
          ...get(c[2 * m + 1]), ...get(a), ...get(b1), ...vmul, ...vadd, ...set(c[2 * m + 1]),
        ]),
        ...get(pb), ...get(rowB), ...add, ...set(pb), ...get(pa), ...i32(4), ...add, ...set(pa),
        ...get(k), ...i32(1), ...add, ...tee(k), ...get(K), ...ltu, ...again, ...end,
        ...[0, 1, 2, 3].flatMap(m => [0, 1].flatMap(h => [...rowAt(rc, m, rowB), ...get(j), ...add, ...get(c[2 * m + h]), ...vstoreAt(16 * h)])),
        ...get(j), ...i32(32), ...add, ...tee(j), ...get(rowB), ...ltu, ...again, ...end,
        ...get(r), ...i32(4), ...add, ...tee(r), ...get(R), ...ltu, ...again, ...end,
        ...end,
      ],
    };
    function vloadAt(offset) { return [0xfd, 0x00, 0x04, ...uleb(offset)]; }
    function vstoreAt(offset) { return [0xfd, 0x0b, 0x04, ...uleb(offset)]; }
  }

  /* Keras 3's Adam: m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); p -= alpha m / (sqrt(v) + eps). */
  function adamBody() {
    const { get, set, tee, i32, add, mul, ltu, loop, end, again, vload, vstore, splat, vmul, vadd, vsub, vdiv, vsqrt } = op;
    const [P, G, M, V, n, alpha, c1, c2, eps] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const [i, end4, g, m, v, al, k1, k2, ep] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
    const at = (base) => [...get(base), ...get(i), ...add];
    return {
      params: [I32, I32, I32, I32, I32, F32, F32, F32, F32], locals: [[2, I32], [7, V128]], code: [
        ...get(alpha), ...splat, ...set(al), ...get(c1), ...splat, ...set(k1), ...get(c2), ...splat, ...set(k2),
        ...get(eps), ...splat, ...set(ep), ...get(n), ...i32(4), ...mul, ...set(end4), ...i32(0), ...set(i),
        ...loop,
        ...at(G), ...vload, ...set(g),
        ...at(M), ...at(M), ...vload, ...tee(m), ...get(g), ...get(m), ...vsub, ...get(k1), ...vmul, ...vadd, ...tee(m), ...vstore,
        ...at(V), ...at(V), ...vload, ...tee(v), ...get(g), ...get(g), ...vmul, ...get(v), ...vsub, ...get(k2), ...vmul, ...vadd, ...tee(v), ...vstore,
        ...at(P), ...at(P), ...vload, ...get(m), ...get(al), ...vmul, ...get(v), ...vsqrt, ...get(ep), ...vadd, ...vdiv, ...vsub, ...vstore,
        ...get(i), ...i32(16), ...add, ...tee(i), ...get(end4), ...ltu, ...again, ...end,
        ...end,
      ],
    };
  }

  function assemble(functions) {
    const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
    const name = t => [t.length, ...Array.from(t, ch => ch.charCodeAt(0))];
    const types = functions.map(f => {
      const params = Array.isArray(f.params) ? f.params : new Array(f.params).fill(I32);
      return [0x60, params.length, ...params, 0];
    });
    const bodies = functions.map(f => {
      const locals = [f.locals.length, ...f.locals.flatMap(([count, type]) => [...uleb(count), type])];
      const body = [...locals, ...f.code];
      return [...uleb(body.length), ...body];
    });
    return new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, [functions.length, ...types.flat()]),
      ...section(2, [1, ...name("env"), ...name("mem"), 0x02, 0x00, 0x01]),
      ...section(3, [functions.length, ...functions.map((_, k) => k)]),
      ...section(7, [functions.length, ...functions.flatMap((f, k) => [...name(f.name), 0x00, k])]),
      ...section(10, [functions.length, ...bodies.flat()]),
    ]);
  }

  let SIMD_MODULE;
  function simdModule() {
    if (SIMD_MODULE !== undefined) return SIMD_MODULE;
    SIMD_MODULE = null;
    if (typeof WebAssembly !== "object") return null;
    try {
      const bytes = assemble([
        Object.assign(ntBody(), { name: "nt" }), Object.assign(nnBody(), { name: "nn" }), Object.assign(adamBody(), { name: "adam" }),
      ]);
      if (WebAssembly.validate(bytes)) SIMD_MODULE = new WebAssembly.Module(bytes);
    } catch (e) { SIMD_MODULE = null; }
    return SIMD_MODULE;
  }

  /* ---- the same three kernels in plain JavaScript, on float indices into one Float32Array ---- */

  function ntJS(F, W, X, Y, B, I, O, N) {
    for (let s = 0; s < N; s++) {
      const x = X + s * I, y = Y + s * O;
      for (let o = 0; o < O; o++) {
        let acc = 0;
        for (let i = 0, w = W + o * I; i < I; i++) acc += F[w + i] * F[x + i];
        F[y + o] = acc + F[B + o];
      }
    }
  }
  function nnJS(F, A, B, C, R, K, J, acc, j0 = 0) {
    for (let r = 0; r < R; r++) {
      const c = C + r * J, a = A + r * K;
      if (!acc) for (let j = j0; j < J; j++) F[c + j] = 0;
      for (let k = 0; k < K; k++) {
        const v = F[a + k], b = B + k * J;
        if (v === 0) continue;
        for (let j = j0; j < J; j++) F[c + j] += v * F[b + j];
      }
    }
  }
  function adamJS(F, P, G, M, V, n, alpha, c1, c2, eps) {
    for (let i = 0; i < n; i++) {
      const g = F[G + i];
      const m = F[M + i] = F[M + i] + (g - F[M + i]) * c1;
      const v = F[V + i] = F[V + i] + (g * g - F[V + i]) * c2;
      F[P + i] = F[P + i] - (m * alpha) / (Math.sqrt(v) + eps);
    }
  }

  /* ---- the engine: G, D, their gradients and Adam states in one memory ---- */

  const BATCH = 32, LATENT = 100, CLASSES = 10, PIXELS = 784, SLOPE = 0.2, RATE = 0.4, MOMENTUM = 0.8, BN_EPS = 1e-3;
  const DEFAULTS = { conditioning: "multiply", seed: 0, lrD: 2e-4, lrG: 2e-4, beta1: 0.5, beta2: 0.999, dSteps: 1, simd: true };
  const KNOBS = {  // what the page accepts: [min, max] (inclusive), or the allowed values
    lrD: [1e-6, 1e-2], lrG: [1e-6, 1e-2], beta1: [0, 0.99], dSteps: [1, 10], seed: [0, 2147483647],
    conditioning: ["multiply", "concatenate"],
  };

  function checkKnob(name, value) {
    const rule = KNOBS[name];
    if (!rule) throw new Error(`unknown setting ${name}`);
    if (typeof rule[0] === "string") {
      if (!rule.includes(value)) throw new Error(`${name} must be ${rule.join(" or ")}; got ${value}`);
      return value;
    }
    const v = Number(value);
    const integer = name === "dSteps" || name === "seed";
    if (value === "" || value === null || !Number.isFinite(v) || v < rule[0] || v > rule[1] || (integer && !Number.isInteger(v))) {
      throw new Error(`${name} must be ${integer ? "a whole number" : "a number"} from ${rule[0]} to ${rule[1]}; got ${value}`);
    }
    return v;
  }

  function Engine(data, options = {}) {
    const o = Object.assign({}, DEFAULTS, options);
    for (const k of Object.keys(KNOBS)) o[k] = checkKnob(k, o[k]);
    const concat = o.conditioning === "concatenate", N = BATCH;
    const module = o.simd ? simdModule() : null;

    // Layout: float offsets into one Float32Array F (and WebAssembly memory when SIMD runs).
    let top = 0;
    const alloc = n => { const at = top; top += 8 * Math.ceil(n / 8); return at; };  // 32-byte aligned
    function network(spec) {  // spec: [[name, size], ...]: params, grads, Adam m and v, each contiguous
      const net = { tensors: {}, size: 0 };
      for (const [name, size, shape] of spec) { net.tensors[name] = { at: net.size, size, shape }; net.size += 8 * Math.ceil(size / 8); }
      net.P = alloc(net.size); net.G = alloc(net.size); net.M = alloc(net.size); net.V = alloc(net.size);
      net.p = name => net.P + net.tensors[name].at;
      net.g = name => net.G + net.tensors[name].at;
      net.t = 0;
      return net;
    }
    const gIn = concat ? 2 * LATENT : LATENT, dIn = concat ? 2 * PIXELS : PIXELS;
    const gUnits = [256, 512, 1024], gLayers = [[gIn, 256], [256, 512], [512, 1024], [1024, PIXELS]];
    const dLayers = [[dIn, 512], [512, 512], [512, 512], [512, 1]];
    const gSpec = [["embedding", CLASSES * LATENT, [CLASSES, LATENT]]];
    gLayers.forEach(([I, O], l) => {
      gSpec.push([`dense_${l}/weight`, O * I, [O, I]], [`dense_${l}/bias`, O, [O]]);
      if (l < 3) gSpec.push([`bn_${l}/gamma`, O, [O]], [`bn_${l}/beta`, O, [O]]);
    });
    const dSpec = [["embedding", CLASSES * PIXELS, [CLASSES, PIXELS]]];
    dLayers.forEach(([I, O], l) => dSpec.push([`dense_${l}/weight`, O * I, [O, I]], [`dense_${l}/bias`, O, [O]]));
    const Gn = network(gSpec), Dn = network(dSpec);
    const moving = gUnits.map(U => ({ mean: alloc(U), variance: alloc(U) }));

    // Activations (N rows) and scratch.
    const act = {
      z: alloc(N * LATENT), y: new Int32Array(N), gh0: alloc(N * gIn),
      ga: gUnits.map(U => alloc(N * U)), gx: gUnits.map(U => alloc(N * U)), gn: gUnits.map(U => alloc(N * U)),
      gmean: gUnits.map(U => alloc(U)), gvar: gUnits.map(U => alloc(U)), ginv: gUnits.map(U => alloc(U)),
      fake: alloc(N * PIXELS), real: alloc(N * PIXELS),
      dh0: alloc(N * dIn), da: [0, 1, 2].map(() => alloc(N * 512)), dl: [0, 1, 2].map(() => alloc(N * 512)),
      dd: [1, 2].map(() => alloc(N * 512)), mask: [1, 2].map(() => new Uint8Array(N * 512)), dout: alloc(N * 8),
      e1: alloc(N * 1024), e2: alloc(N * 1024), tr: alloc(1024 * N), dimg: alloc(N * PIXELS), dgh0: alloc(N * gIn),
      tr2: alloc(N * dIn), trG: alloc(1024 * N),
    };
    const bytes = 4 * top;
    let memory = null, F, K = null;
    if (module) {
      memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
      F = new Float32Array(memory.buffer);
      K = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
    } else {
      F = new Float32Array(top);
    }

    // Kernels on float offsets.
    const nt = (W, X, Y, B, I, O, n) => { if (K && I % 4 === 0 && n % 4 === 0) K.nt(4 * W, 4 * X, 4 * Y, 4 * B, I, O, n); else ntJS(F, W, X, Y, B, I, O, n); };
    const nn = (A, B, C, R, Kd, J, acc) => {
      if (K && R % 4 === 0 && J >= 8) {
        const J8 = J - (J % 8);
        if (J8 === J) { K.nn(4 * A, 4 * B, 4 * C, R, Kd, J, acc ? 1 : 0); return; }
        // J not a multiple of 8: the kernel on the first J8 columns of each row is not possible with
        // row strides J, so fall back for the whole product (only G's first layer, 100 inputs).
      }
      nnJS(F, A, B, C, R, Kd, J, acc);
    };
    const adamStep = (net, lr) => {
      net.t += 1;
      const alpha = lr * Math.sqrt(1 - o.beta2 ** net.t) / (1 - o.beta1 ** net.t);
      if (K) K.adam(4 * net.P, 4 * net.G, 4 * net.M, 4 * net.V, net.size, Math.fround(alpha), Math.fround(1 - o.beta1), Math.fround(1 - o.beta2), 1e-7);
      else adamJS(F, net.P, net.G, net.M, net.V, net.size, Math.fround(alpha), Math.fround(1 - o.beta1), Math.fround(1 - o.beta2), 1e-7);
    };
    const transpose = (X, T, rows, cols) => {  // T (cols x rows) = X^T
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) F[T + c * rows + r] = F[X + r * cols + c];
    };
    const colsum = (X, out, rows, cols) => {
      for (let c = 0; c < cols; c++) { let s = 0; for (let r = 0; r < rows; r++) s += F[X + r * cols + c]; F[out + c] = s; }
    };

    // ---- initial weights: Keras' initializers, drawn from the seed ----
    const rand = Random(o.seed);
    function init() {
      const glorot = (net, name, I, O) => {
        const limit = Math.sqrt(6 / (I + O)), p = net.p(name);
        for (let i = 0; i < I * O; i++) F[p + i] = (2 * rand.uniform() - 1) * limit;
      };
      const fill = (at, n, v) => F.fill(v, at, at + n);
      F.fill(0, 0, top);
      for (const [net, E, layersOf] of [[Gn, CLASSES * LATENT, gLayers], [Dn, CLASSES * PIXELS, dLayers]]) {
        const e = net.p("embedding");
        for (let i = 0; i < E; i++) F[e + i] = (2 * rand.uniform() - 1) * 0.05;
        layersOf.forEach(([I, O], l) => glorot(net, `dense_${l}/weight`, I, O));
      }
      gUnits.forEach((U, l) => { fill(Gn.p(`bn_${l}/gamma`), U, 1); fill(moving[l].variance, U, 1); });
    }
    init();

    // ---- G(z|y) ----
    function generator(z, labels, n, training) {  // z, out: float offsets; n rows (<= N in training)
      const h0 = act.gh0, E = Gn.p("embedding");
      for (let s = 0; s < n; s++) {
        const e = E + labels[s] * LATENT;
        if (concat) {
          for (let j = 0; j < LATENT; j++) { F[h0 + s * gIn + j] = F[z + s * LATENT + j]; F[h0 + s * gIn + LATENT + j] = F[e + j]; }
        } else {
          for (let j = 0; j < LATENT; j++) F[h0 + s * LATENT + j] = F[z + s * LATENT + j] * F[e + j];
        }
      }
      let x = h0;
      for (let l = 0; l < 3; l++) {
        const [I, U] = gLayers[l], a = act.ga[l], xh = act.gx[l], out = act.gn[l];
        nt(Gn.p(`dense_${l}/weight`), x, a, Gn.p(`dense_${l}/bias`), I, U, n);
        const gamma = Gn.p(`bn_${l}/gamma`), beta = Gn.p(`bn_${l}/beta`);
        for (let i = 0; i < n * U; i++) if (F[a + i] < 0) F[xh + i] = F[a + i] * SLOPE; else F[xh + i] = F[a + i];  // leaky -> xh (reused)
        if (training) {
          const mean = act.gmean[l], vr = act.gvar[l], inv = act.ginv[l], mm = moving[l].mean, mv = moving[l].variance;
          for (let u = 0; u < U; u++) {
            let s1 = 0;
            for (let s = 0; s < n; s++) s1 += F[xh + s * U + u];
            const mu = Math.fround(s1 / n);
            let s2 = 0;
            for (let s = 0; s < n; s++) { const d = F[xh + s * U + u] - mu; s2 += d * d; }
            F[mean + u] = mu; F[vr + u] = s2 / n;
            F[inv + u] = 1 / Math.sqrt(F[vr + u] + BN_EPS);
            F[mm + u] = F[mm + u] * MOMENTUM + F[mean + u] * (1 - MOMENTUM);
            F[mv + u] = F[mv + u] * MOMENTUM + F[vr + u] * (1 - MOMENTUM);
          }
          for (let s = 0; s < n; s++) for (let u = 0; u < U; u++) {
            const i = s * U + u, xhat = (F[xh + i] - F[mean + u]) * F[inv + u];
            F[xh + i] = xhat;  // now xhat
            F[out + i] = F[gamma + u] * xhat + F[beta + u];
          }
        } else {
          const mm = moving[l].mean, mv = moving[l].variance;
          for (let s = 0; s < n; s++) for (let u = 0; u < U; u++) {
            const i = s * U + u;
            F[out + i] = F[gamma + u] * ((F[xh + i] - F[mm + u]) / Math.sqrt(F[mv + u] + BN_EPS)) + F[beta + u];
          }
        }
        x = out;
      }
      return x;
    }
    function generatorOut(x, out, n) {  // the last dense layer and tanh
      nt(Gn.p("dense_3/weight"), x, out, Gn.p("dense_3/bias"), 1024, PIXELS, n);
      for (let i = 0; i < n * PIXELS; i++) F[out + i] = Math.tanh(F[out + i]);
    }

    // ---- D(x|y) in training mode: dropout masks drawn (or given), returns mean probability, loss ----
    function discriminator(img, labels, target, masks) {
      const h0 = act.dh0, E = Dn.p("embedding");
      for (let s = 0; s < N; s++) {
        const f = E + labels[s] * PIXELS, x = img + s * PIXELS, h = h0 + s * dIn;
        if (concat) { for (let j = 0; j < PIXELS; j++) { F[h + j] = F[x + j]; F[h + PIXELS + j] = F[f + j]; } } else { for (let j = 0; j < PIXELS; j++) F[h + j] = F[x + j] * F[f + j]; }
      }
      let x = h0;
      for (let l = 0; l < 3; l++) {
        const [I] = dLayers[l], a = act.da[l], lo = act.dl[l];
        nt(Dn.p(`dense_${l}/weight`), x, a, Dn.p(`dense_${l}/bias`), I, 512, N);
        for (let i = 0; i < N * 512; i++) F[lo + i] = F[a + i] < 0 ? F[a + i] * SLOPE : F[a + i];
        x = lo;
        if (l > 0) {
          const m = masks[l - 1], d = act.dd[l - 1];
          for (let i = 0; i < N * 512; i++) F[d + i] = m[i] ? F[lo + i] / (1 - RATE) : 0;
          x = d;
        }
      }
      nt(Dn.p("dense_3/weight"), x, act.dout, Dn.p("dense_3/bias"), 512, 1, N);
      let loss = 0, mean = 0;
      for (let s = 0; s < N; s++) {
        const z = F[act.dout + s], p = 1 / (1 + Math.exp(-z));
        loss += Math.max(z, 0) - z * target + Math.log1p(Math.exp(-Math.abs(z)));
        mean += p;
        F[act.dout + s] = (p - target) / N;  // dLoss / dlogit
      }
      return { loss: loss / N, mean: mean / N };
    }

    /* Back through D from dLoss/dlogit (in act.dout): D's gradients (params) and/or dLoss/dimage. */
    function discriminatorBackward(img, labels, masks, params, dimage) {
      const dY = act.dout, T = act.tr, e1 = act.e1, e2 = act.e2;
      let upstream = dY, O = 1;
      for (let l = 3; l >= 0; l--) {
        const I = dLayers[l][0], W = Dn.p(`dense_${l}/weight`);
        const input = l === 0 ? act.dh0 : l === 1 ? act.dl[0] : act.dd[l - 2];
        if (params) {
          colsum(upstream, Dn.g(`dense_${l}/bias`), N, O);
          transpose(upstream, T, N, O);
          nn(T, input, Dn.g(`dense_${l}/weight`), O, N, I, false);
        }
        if (l === 0 && !dimage && !params) break;
        const dx = l === 0 ? act.dh0 : (upstream === e1 ? e2 : e1);  // dh0 is overwritten: its values are used above
        if (l === 0) {  // dLoss/dh0: first the embedding's share, then the image's
          nn(upstream, W, act.tr2, N, O, I, false);
          const dh = act.tr2, Ep = Dn.p("embedding"), Eg = Dn.g("embedding");
          if (params) {
            F.fill(0, Eg, Eg + CLASSES * PIXELS);
            for (let s = 0; s < N; s++) {
              const g = Eg + labels[s] * PIXELS, h = dh + s * dIn, x = img + s * PIXELS;
              if (concat) for (let j = 0; j < PIXELS; j++) F[g + j] += F[h + PIXELS + j];
              else for (let j = 0; j < PIXELS; j++) F[g + j] += F[h + j] * F[x + j];
            }
          }
          if (dimage) {
            for (let s = 0; s < N; s++) {
              const f = Ep + labels[s] * PIXELS, h = dh + s * dIn, out = dimage + s * PIXELS;
              if (concat) for (let j = 0; j < PIXELS; j++) F[out + j] = F[h + j];
              else for (let j = 0; j < PIXELS; j++) F[out + j] = F[h + j] * F[f + j];
            }
          }
          break;
        }
        nn(upstream, W, dx, N, O, I, false);
        // back through dropout (layers 1, 2 fed by dd) and LeakyReLU of layer l - 1
        if (l >= 2) { const m = masks[l - 2]; for (let i = 0; i < N * 512; i++) F[dx + i] = m[i] ? F[dx + i] / (1 - RATE) : 0; }
        const a = act.da[l - 1];
        for (let i = 0; i < N * 512; i++) if (!(F[a + i] > 0)) F[dx + i] *= SLOPE;
        upstream = dx; O = 512;
      }
    }

    /* Back through G from dLoss/dimage (act.dimg, before tanh's derivative); fills G's gradients. */
    function generatorBackward(z, labels) {
      const out = act.fake, da4 = act.dimg;
      for (let i = 0; i < N * PIXELS; i++) F[da4 + i] *= 1 - F[out + i] * F[out + i];
      let upstream = da4, O = PIXELS;
      for (let l = 3; l >= 0; l--) {
        const I = gLayers[l][0], W = Gn.p(`dense_${l}/weight`), input = l === 0 ? act.gh0 : act.gn[l - 1];
        colsum(upstream, Gn.g(`dense_${l}/bias`), N, O);
        transpose(upstream, act.trG, N, O);
        nn(act.trG, input, Gn.g(`dense_${l}/weight`), O, N, I, false);
        const dx = l === 0 ? act.dgh0 : (upstream === act.e1 ? act.e2 : act.e1);
        nn(upstream, W, dx, N, O, I, false);
        if (l === 0) break;
        // back through BN (training mode) and LeakyReLU of layer l - 1
        const U = gUnits[l - 1], xh = act.gx[l - 1], inv = act.ginv[l - 1], a = act.ga[l - 1];
        const gamma = Gn.p(`bn_${l - 1}/gamma`), dgamma = Gn.g(`bn_${l - 1}/gamma`), dbeta = Gn.g(`bn_${l - 1}/beta`);
        for (let u = 0; u < U; u++) {
          let sb = 0, sg = 0;
          for (let s = 0; s < N; s++) { const i = s * U + u; sb += F[dx + i]; sg += F[dx + i] * F[xh + i]; }
          F[dbeta + u] = sb; F[dgamma + u] = sg;
          const k = F[gamma + u] * F[inv + u] / N;
          for (let s = 0; s < N; s++) {
            const i = s * U + u;
            let d = k * (N * F[dx + i] - sb - F[xh + i] * sg);
            if (!(F[a + i] > 0)) d *= SLOPE;
            F[dx + i] = d;
          }
        }
        upstream = dx; O = U;
      }
      const Eg = Gn.g("embedding"), dh = act.dgh0;
      F.fill(0, Eg, Eg + CLASSES * LATENT);
      for (let s = 0; s < N; s++) {
        const g = Eg + labels[s] * LATENT, h = dh + s * gIn;
        if (concat) for (let j = 0; j < LATENT; j++) F[g + j] += F[h + LATENT + j];
        else for (let j = 0; j < LATENT; j++) F[g + j] += F[h + j] * F[z + s * LATENT + j];
      }
    }

    // ---- one iteration ----
    const stats = { iteration: 0, history: [] };
    const maskPool = [0, 1, 2].map(() => [new Uint8Array(N * 512), new Uint8Array(N * 512)]);
    const drawMasks = k => {  // Dropout's keep masks (kept with probability 0.6) for D's two dropout layers
      for (const m of maskPool[k]) for (let i = 0; i < m.length; i++) m[i] = rand.uniform() >= RATE ? 1 : 0;
      return record ? maskPool[k].map(m => m.slice()) : maskPool[k];
    };
    let record = null;

    function dStep(img, labels, target, masks) {
      const r = discriminator(img, labels, target, masks);
      discriminatorBackward(img, labels, masks, true, 0);
      adamStep(Dn, o.lrD);
      return r;
    }

    function iteration(given) {
      let real, fake, labels;
      for (let k = 0; k < o.dSteps; k++) {
        const index = given ? given.index : Array.from({ length: N }, () => rand.int(data.count));
        labels = Int32Array.from(index, i => data.labels[i]);
        for (let s = 0; s < N; s++) F.set(data.image(index[s]), act.real + s * PIXELS);
        if (given) F.set(given.z, act.z); else for (let i = 0; i < N * LATENT; i++) F[act.z + i] = rand.normal();
        const x = generator(act.z, labels, N, true);
        generatorOut(x, act.fake, N);
        const mReal = given ? given.masks[0] : drawMasks(0), mFake = given ? given.masks[1] : drawMasks(1);
        real = dStep(act.real, labels, 1, mReal);
        fake = dStep(act.fake, labels, 0, mFake);
        if (record) Object.assign(record, { index, labels, real: F.slice(act.real, act.real + N * PIXELS), z: F.slice(act.z, act.z + N * LATENT), masks: [mReal, mFake] });
      }
      const fresh = given ? Int32Array.from(given.fresh) : Int32Array.from({ length: N }, () => rand.int(CLASSES));
      const mG = given ? given.masks[2] : drawMasks(2);
      const x = generator(act.z, fresh, N, true);
      generatorOut(x, act.fake, N);
      const g = discriminator(act.fake, fresh, 1, mG);
      discriminatorBackward(act.fake, fresh, mG, false, act.dimg);
      generatorBackward(act.z, fresh);
      adamStep(Gn, o.lrG);
      if (record) Object.assign(record, { fresh, masks: [...record.masks, mG] });
      stats.iteration += 1;
      const row = { iteration: stats.iteration, dLoss: 0.5 * (real.loss + fake.loss), gLoss: g.loss, dReal: real.mean, dFake: fake.mean };
      stats.history.push(row);
      return row;
    }

    /* n images of a digit in [0, 1] from G in inference mode (BN moving statistics), z given. */
    const sampleAt = alloc(N * LATENT), sampleOut = alloc(N * PIXELS);
    function sample(z, digits) {
      const n = digits.length, out = new Float32Array(n * PIXELS);
      for (let s0 = 0; s0 < n; s0 += N) {
        const m = Math.min(N, n - s0), rows = 4 * Math.ceil(m / 4);
        F.fill(0, sampleAt, sampleAt + N * LATENT);
        F.set(z.subarray(s0 * LATENT, (s0 + m) * LATENT), sampleAt);
        const labels = new Int32Array(rows);
        for (let s = 0; s < m; s++) labels[s] = digits[s0 + s];
        const x = generator(sampleAt, labels, rows, false);
        generatorOut(x, sampleOut, rows);
        for (let i = 0; i < m * PIXELS; i++) out[s0 * PIXELS + i] = Math.min(1, Math.max(0, (F[sampleOut + i] + 1) / 2));
      }
      return out;
    }

    function tensorsOf(net) {
      const out = {};
      for (const [name, t] of Object.entries(net.tensors)) out[name] = { shape: t.shape, data: F.slice(net.P + t.at, net.P + t.at + t.size) };
      return out;
    }
    function setTensors(net, values) {
      for (const [name, data] of Object.entries(values)) {
        const t = net.tensors[name];
        if (!t || data.length !== t.size) throw new Error(`no tensor ${name} of ${data.length} values`);
        F.set(data, net.P + t.at);
      }
    }

    /* G with batch normalization folded into the next dense layer: the page explorer's format. */
    function folded() {
      const layers = [], parts = [F.slice(Gn.p("embedding"), Gn.p("embedding") + CLASSES * LATENT)], tensors = { label_embedding: { shape: [CLASSES, LATENT], offset: 0 } };
      let offset = CLASSES * LATENT, scale = null, shift = null;
      gLayers.forEach(([I, O], l) => {
        const W = F.slice(Gn.p(`dense_${l}/weight`), Gn.p(`dense_${l}/weight`) + O * I), b = F.slice(Gn.p(`dense_${l}/bias`), Gn.p(`dense_${l}/bias`) + O);
        if (scale) for (let r = 0; r < O; r++) { let c = 0; for (let i = 0; i < I; i++) { c += W[r * I + i] * shift[i]; W[r * I + i] *= scale[i]; } b[r] += c; }
        if (l < 3) {
          const gm = Gn.p(`bn_${l}/gamma`), bt = Gn.p(`bn_${l}/beta`), mm = moving[l].mean, mv = moving[l].variance;
          scale = new Float64Array(O); shift = new Float64Array(O);
          for (let u = 0; u < O; u++) { scale[u] = F[gm + u] / Math.sqrt(F[mv + u] + BN_EPS); shift[u] = F[bt + u] - F[mm + u] * scale[u]; }
        }
        tensors[`dense_${l}/weight`] = { shape: [O, I], offset }; offset += O * I; parts.push(W);
        tensors[`dense_${l}/bias`] = { shape: [O], offset }; offset += O; parts.push(b);
        layers.push({ name: `dense_${l}`, units: O, inputs: I, activation: l < 3 ? "leaky_relu" : "tanh", negative_slope: l < 3 ? SLOPE : 0 });
      });
      const values = new Float32Array(offset);
      let at = 0;
      for (const p of parts) { values.set(p, at); at += p.length; }
      const header = {
        format: "cgan-web-generator/1", conditioning: o.conditioning, latent_dim: LATENT, num_classes: CLASSES, image_shape: [28, 28, 1],
        output: "tanh, shown as (x + 1) / 2", dtype: "float32", byte_order: "little", weights: "", values: offset, tensors, layers,
      };
      return { header, buffer: values.buffer };
    }

    function netState(net) {  // every tensor's values and Adam moments
      const out = {};
      for (const [name, t] of Object.entries(net.tensors)) {
        const span = at => F.slice(at + t.at, at + t.at + t.size);
        out[name] = { shape: t.shape, value: span(net.P), m: span(net.M), v: span(net.V) };
      }
      return out;
    }

    return {
      options: o, stats, iteration, sample, folded, simd: !!K, bytes,
      state: () => ({ G: netState(Gn), D: netState(Dn), t: { G: Gn.t, D: Dn.t }, moving: moving.map((m, l) => ({ mean: F.slice(m.mean, m.mean + gUnits[l]), variance: F.slice(m.variance, m.variance + gUnits[l]) })) }),
      record(on = true) { record = on ? {} : null; return record; },
      get lastDraws() { return record; },
      generator: () => tensorsOf(Gn), discriminator: () => tensorsOf(Dn),
      moving: () => moving.map((m, l) => ({ mean: F.slice(m.mean, m.mean + gUnits[l]), variance: F.slice(m.variance, m.variance + gUnits[l]) })),
      setGenerator: v => setTensors(Gn, v), setDiscriminator: v => setTensors(Dn, v),
      setMoving(list) { list.forEach((m, l) => { F.set(m.mean, moving[l].mean); F.set(m.variance, moving[l].variance); }); },
      adamSteps: () => ({ G: Gn.t, D: Dn.t }),
      set(name, value) {  // a knob changed between iterations (learning rates, D steps)
        if (!["lrD", "lrG", "dSteps", "beta1"].includes(name)) throw new Error(`${name} cannot change during training`);
        o[name] = checkKnob(name, value);
      },
      image: i => data.image(i),
    };
  }

  /* ---- the digits: 4,000 MNIST training images as uint8, labels, gzip in base64 ---- */

  async function gunzip(bytes) {
    if (typeof DecompressionStream !== "function") throw new Error("this browser cannot unpack gzip (no DecompressionStream)");
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  function fromBase64(text) {
    const s = atob(text), out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function dataset(header, raw) {
    const n = header.count, px = header.pixels, images = raw.subarray(0, n * px), labels = raw.subarray(n * px, n * px + n);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(v / 255) * 2) - 1;  // (v / 255) * 2 - 1 in float32, as the library
    const scratch = new Float32Array(px);
    return {
      count: n, labels, header, images,
      image(i) { for (let j = 0; j < px; j++) scratch[j] = table[images[i * px + j]]; return scratch; },
    };
  }
  const loadedData = {};
  function loadData(folder) {
    const url = folder + "mnist_train";
    if (!loadedData[url]) {
      loadedData[url] = (/^https?:$/.test(location.protocol) ? fetchData(url) : scriptData(url));
      loadedData[url].catch(() => delete loadedData[url]);
    }
    return loadedData[url];
  }
  async function fetchData(url) {
    const r = await fetch(url + ".json");
    if (!r.ok) throw new Error(`${url}.json: HTTP ${r.status}`);
    const header = await r.json();
    const b = await fetch(url.replace(/[^/]*$/, "") + header.file);
    if (!b.ok) throw new Error(`${header.file}: HTTP ${b.status}`);
    return dataset(header, await gunzip(new Uint8Array(await b.arrayBuffer())));
  }
  function scriptData(url) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url + ".js";
      script.onerror = () => reject(new Error("could not load " + script.src));
      script.onload = async () => {
        const wrapped = (window.cganData || {}).mnist_train;
        if (!wrapped) return reject(new Error(script.src + " holds no digits"));
        try { resolve(dataset(wrapped.header, await gunzip(fromBase64(wrapped.base64)))); } catch (e) { reject(e); }
      };
      document.head.appendChild(script);
    });
  }

  window.CGANTrainer = { Engine, Random, loadData, checkKnob, KNOBS, DEFAULTS, simdAvailable: () => !!simdModule(), start() {}, dataset };
})();
