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
    madd: [0xfd, 0x85, 0x02],  // relaxed SIMD f32x4.relaxed_madd: a * b + c, fused where the CPU can
  };
  /* acc = acc + a * b, the operands pushed by the three code pieces: fused (relaxed SIMD) or not */
  const fmaOf = fma => (acc, a, b) => (fma ? [...a, ...b, ...acc, ...op.madd] : [...acc, ...a, ...b, ...op.vmul, ...op.vadd]);

  function ntBody(fma) {  // the explorer's kernel: 4 rows of X per output, four products per instruction
    const acc = fmaOf(fma);
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
        ...[x0, x1, x2, x3].flatMap((x, k) => [...acc(get(A[k]), get(v), [...get(x), ...get(i), ...add, ...vload]), ...set(A[k])]),
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
  function nnBody(fma) {
    const acc2 = fmaOf(fma);
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
          ...acc2(get(c[2 * m]), get(a), get(b0)), ...set(c[2 * m]),
          ...acc2(get(c[2 * m + 1]), get(a), get(b1)), ...set(c[2 * m + 1]),
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

  const MODULES = {};
  /* The kernels with fused multiply-add (relaxed SIMD) when fma, else plain SIMD; null if the browser has neither. */
  function simdModule(fma = true) {
    if (fma && MODULES.fma === undefined) MODULES.fma = build(true);
    if (fma && MODULES.fma) return MODULES.fma;
    if (MODULES.plain === undefined) MODULES.plain = build(false);
    return MODULES.plain;
    function build(fused) {
      if (typeof WebAssembly !== "object") return null;
      try {
        const bytes = assemble([
          Object.assign(ntBody(fused), { name: "nt" }), Object.assign(nnBody(fused), { name: "nn" }), Object.assign(adamBody(), { name: "adam" }),
        ]);
        if (!WebAssembly.validate(bytes)) return null;
        const module = new WebAssembly.Module(bytes);
        module.fused = fused;
        return module;
      } catch (e) { return null; }
    }
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

  const PAD = 256 * 104;  // scratch for products whose rows are not a multiple of 8 floats long
  const BATCH = 32, LATENT = 100, CLASSES = 10, PIXELS = 784, SLOPE = 0.2, RATE = 0.4, MOMENTUM = 0.8, BN_EPS = 1e-3;
  const DEFAULTS = { conditioning: "multiply", seed: 0, lrD: 2e-4, lrG: 2e-4, beta1: 0.5, beta2: 0.999, dSteps: 1, simd: true, fma: true };
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
    const module = o.simd ? simdModule(o.fma) : null;

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
      tr2: alloc(N * dIn), trG: alloc(1024 * N), sampleZ: alloc(N * LATENT), sampleOut: alloc(N * PIXELS),
      padB: alloc(PAD), padC: alloc(PAD),
    };
    const bytes = 4 * top;  // every buffer is allocated above this line
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
      if (K && R % 4 === 0 && J % 8 === 0) { K.nn(4 * A, 4 * B, 4 * C, R, Kd, J, acc ? 1 : 0); return; }
      const Jp = 8 * Math.ceil(J / 8);  // J not a multiple of 8 (G's 100 inputs): B and C padded with zero columns
      if (K && R % 4 === 0 && !acc && Kd * Jp <= PAD && R * Jp <= PAD) {
        for (let k = 0; k < Kd; k++) { F.set(F.subarray(B + k * J, B + (k + 1) * J), act.padB + k * Jp); F.fill(0, act.padB + k * Jp + J, act.padB + (k + 1) * Jp); }
        K.nn(4 * A, 4 * act.padB, 4 * act.padC, R, Kd, Jp, 0);
        for (let r = 0; r < R; r++) F.copyWithin(C + r * J, act.padC + r * Jp, act.padC + r * Jp + J);
        return;
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
    const S1 = new Float64Array(1024), S2 = new Float64Array(1024), S3 = new Float64Array(1024);  // per-unit sums
    const colsum = (X, out, rows, cols) => {
      S1.fill(0, 0, cols);
      for (let r = 0; r < rows; r++) for (let c = 0, x = X + r * cols; c < cols; c++) S1[c] += F[x + c];
      for (let c = 0; c < cols; c++) F[out + c] = S1[c];
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
          S1.fill(0, 0, U); S2.fill(0, 0, U);  // the batch mean, then the (biased) variance about it, as Keras
          for (let s = 0; s < n; s++) for (let u = 0, r = xh + s * U; u < U; u++) S1[u] += F[r + u];
          for (let u = 0; u < U; u++) F[mean + u] = S1[u] / n;
          for (let s = 0; s < n; s++) for (let u = 0, r = xh + s * U; u < U; u++) { const d = F[r + u] - F[mean + u]; S2[u] += d * d; }
          for (let u = 0; u < U; u++) {
            F[vr + u] = S2[u] / n;
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
        S1.fill(0, 0, U); S2.fill(0, 0, U);
        for (let s = 0; s < N; s++) for (let u = 0, r = s * U; u < U; u++) { S1[u] += F[dx + r + u]; S2[u] += F[dx + r + u] * F[xh + r + u]; }
        for (let u = 0; u < U; u++) { F[dbeta + u] = S1[u]; F[dgamma + u] = S2[u]; S3[u] = F[gamma + u] * F[inv + u] / N; }
        for (let s = 0; s < N; s++) for (let u = 0; u < U; u++) {
          const i = s * U + u;
          let d = S3[u] * (N * F[dx + i] - S1[u] - F[xh + i] * S2[u]);
          if (!(F[a + i] > 0)) d *= SLOPE;
          F[dx + i] = d;
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
    const sampleAt = act.sampleZ, sampleOut = act.sampleOut;
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
      kernels: K ? (module.fused ? "WebAssembly SIMD, fused multiply-add" : "WebAssembly SIMD") : "plain JavaScript",
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

  /* ---- the page: controls, the live grid, the curves ---- */

  const SCALE = 2, GAP = 2, COLUMNS = 10, GRID_SEED = 20260;  // 28 x 28 digits at 2x, 2 px apart; fixed noise
  const REDRAW = 25;  // iterations between two redraws of the grid
  const PRESETS = {
    tutorial: { label: "the tutorial: D 2e-4, G 2e-4, 1 D step", lrD: 2e-4, lrG: 2e-4, dSteps: 1 },
    strongD: { label: "fails: D too strong (D 2e-3, 5 D steps)", lrD: 2e-3, lrG: 2e-4, dSteps: 5 },
    slowG: { label: "fails: G barely learns (G 1e-6)", lrD: 2e-4, lrG: 1e-6, dSteps: 1 },
  };
  const CSS = `
.cgan-trainer canvas { display: block; margin: 0.5em 0; max-width: 100%; image-rendering: pixelated; }
.cgan-trainer .cgan-trainer-grid { background: #808080; }
.cgan-trainer .cgan-trainer-buttons { display: flex; flex-wrap: wrap; gap: 0.5em; margin: 0.5em 0; }
.cgan-trainer .cgan-trainer-knobs { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(16em, 100%), 1fr)); gap: 0.4em 1.2em; }
.cgan-trainer .cgan-trainer-knob { display: flex; align-items: center; gap: 0.5em; min-width: 0; }
.cgan-trainer .cgan-trainer-knob label { min-width: 8.5em; }
.cgan-trainer .cgan-trainer-knob.cgan-trainer-wide { grid-column: 1 / -1; }
.cgan-trainer .cgan-trainer-knob input, .cgan-trainer .cgan-trainer-knob select { flex: 1; min-width: 0; max-width: 100%; }
.cgan-trainer .cgan-trainer-knob select { flex: 1 0 auto; }  /* as wide as its longest option: no text cut off */
.cgan-trainer .cgan-trainer-knob.cgan-trainer-wide { flex-wrap: wrap; }
.cgan-trainer .cgan-trainer-status, .cgan-trainer .cgan-trainer-engine { font-size: 0.85em; margin: 0.3em 0; font-variant-numeric: tabular-nums; }
.cgan-trainer .cgan-trainer-message { color: #b00020; font-size: 0.9em; min-height: 1.2em; margin: 0.2em 0; }
.cgan-trainer .cgan-trainer-curves { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(280px, 100%), 1fr)); gap: 0.5em; }`;

  const el = (tag, props = {}, ...children) => { const e = Object.assign(document.createElement(tag), props); e.append(...children); return e; };

  function knob(box, id, text, input) {
    const row = el("div", { className: "cgan-trainer-knob" }), label = el("label", { htmlFor: id, textContent: text });
    input.id = id;
    row.append(label, input);
    box.append(row);
    return input;
  }

  /* One chart: a few series against the iteration, on a canvas (drawn anew each time). With `own`, each
     of two series gets its own scale: the first's on the left axis, the second's on the right, in its colour. */
  function chart(canvas, title, series, history, range, own = false) {
    const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height, left = 34, right = own ? 34 : 6, top = 18, bottom = 16;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = "#222"; ctx.font = "11px sans-serif"; ctx.fillText(title, left, 12);
    const n = history.length, xs = Math.max(n, 2);
    const scale = keys => {
      let lo = range ? range[0] : Infinity, hi = range ? range[1] : -Infinity;
      if (!range) for (const row of history) for (const key of keys) { lo = Math.min(lo, row[key]); hi = Math.max(hi, row[key]); }
      return hi > lo ? [lo, hi] : [0, 1];
    };
    const scales = own ? series.map(s => scale([s.key])) : series.map(() => scale(series.map(s => s.key)));
    const X = i => left + (W - left - right) * i / (xs - 1);
    ctx.strokeStyle = "#ccc"; ctx.lineWidth = 1; ctx.beginPath(); ctx.moveTo(left, top); ctx.lineTo(left, H - bottom); ctx.lineTo(W - right, H - bottom);
    if (own) ctx.lineTo(W - right, top);
    ctx.stroke();
    ctx.fillStyle = own ? series[0].color : "#555"; ctx.fillText(scales[0][1].toFixed(2), 2, top + 4); ctx.fillText(scales[0][0].toFixed(2), 2, H - bottom);
    if (own) { ctx.fillStyle = series[1].color; ctx.fillText(scales[1][1].toFixed(2), W - right + 3, top + 4); ctx.fillText(scales[1][0].toFixed(2), W - right + 3, H - bottom); }
    ctx.fillStyle = "#555"; ctx.fillText(n ? `iteration ${history[n - 1].iteration}` : "iteration 0", W - right - 90, H - 3);
    const step = Math.max(1, Math.floor(n / 600));  // at most ~600 points per line
    let lx = left + 90;
    series.forEach((s, k) => {
      const [lo, hi] = scales[k], Y = v => top + (H - top - bottom) * (1 - (v - lo) / (hi - lo));
      ctx.strokeStyle = s.color; ctx.lineWidth = 1.5; ctx.beginPath();
      for (let i = 0; i < n; i += step) {
        let v = 0, c = 0;  // the mean of the points this pixel stands for: the curve without the noise of single batches
        for (let j = i; j < Math.min(n, i + step); j++) { v += history[j][s.key]; c++; }
        const x = X(i), y = Y(v / c);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      }
      ctx.stroke();
      const text = "— " + s.label + (own ? (k === 0 ? " (left scale)" : " (right scale)") : "");
      ctx.fillStyle = s.color; ctx.fillText(text, lx, 12); lx += ctx.measureText(text).width + 10;
    });
  }

  async function trainer(root) {
    const d = root.dataset, k = trainers.length, id = name => `cgan-trainer-${k}-${name}`;
    const folder = d.static ? d.static.replace(/\/?$/, "/") : SCRIPT_DIR;
    const notes = root.querySelectorAll(".cgan-trainer-note");  // the no-script note, one per language
    const status = el("p", { className: "cgan-trainer-status", textContent: "Loading the digits…" });
    status.setAttribute("aria-live", "polite");
    root.append(status);
    const self = { root, state: "loading", iteration: 0, speed: 0, engine: null, draws: 0, errors: [] };
    let digits;
    try { digits = await loadData(folder); } catch (e) {
      status.textContent = "The trainer could not load the digits (" + e.message + ").";
      self.state = "failed";
      return self;
    }
    notes.forEach(note => note.remove());

    const buttons = el("div", { className: "cgan-trainer-buttons" });
    const train = el("button", { type: "button", textContent: "Train" }), reset = el("button", { type: "button", textContent: "Reset" });
    const hand = el("button", { type: "button", textContent: "Hand G to the explorer", title: "run the trained generator in the digit explorer below" });
    buttons.append(train, reset, hand);
    const engineLine = el("p", { className: "cgan-trainer-engine" });
    const grid = el("canvas", { className: "cgan-trainer-grid", width: COLUMNS * (28 * SCALE + GAP) - GAP, height: 10 * (28 * SCALE + GAP) - GAP });
    grid.setAttribute("role", "img");
    const curves = el("div", { className: "cgan-trainer-curves" });
    const lossCanvas = el("canvas", { width: 340, height: 170 }), viewCanvas = el("canvas", { width: 340, height: 170 });
    lossCanvas.setAttribute("role", "img"); viewCanvas.setAttribute("role", "img");
    lossCanvas.setAttribute("aria-label", "the losses of D (left scale) and G (right scale) against the iteration");
    viewCanvas.setAttribute("aria-label", "D's mean output on real pairs and on G's pairs against the iteration");
    curves.append(lossCanvas, viewCanvas);
    const knobs = el("div", { className: "cgan-trainer-knobs" });
    const c = {};
    c.preset = knob(knobs, id("preset"), "preset", el("select"));
    c.preset.parentNode.classList.add("cgan-trainer-wide");  // its option texts are long
    for (const [value, p] of Object.entries(PRESETS)) c.preset.append(el("option", { value, textContent: p.label }));
    c.lrD = knob(knobs, id("lr-d"), "D learning rate", el("input", { type: "text", inputMode: "decimal", value: "2e-4" }));
    c.lrG = knob(knobs, id("lr-g"), "G learning rate", el("input", { type: "text", inputMode: "decimal", value: "2e-4" }));
    c.dSteps = knob(knobs, id("d-steps"), "D steps per G step", el("input", { type: "number", min: 1, max: 10, step: 1, value: 1 }));
    c.conditioning = knob(knobs, id("conditioning"), "conditioning", el("select"));
    c.conditioning.parentNode.classList.add("cgan-trainer-wide");
    for (const [value, text] of [["multiply", "multiply (the tutorial)"], ["concatenate", "concatenate (the library's)"]]) c.conditioning.append(el("option", { value, textContent: text }));
    c.seed = knob(knobs, id("seed"), "seed", el("input", { type: "number", min: 0, max: 2147483647, step: 1, value: d.seed || 0 }));
    const message = el("p", { className: "cgan-trainer-message" });
    message.setAttribute("role", "alert");
    const explorerBox = el("div", { className: "cgan-trainer-explorer" });
    root.insertBefore(buttons, status);
    root.insertBefore(grid, status);
    root.append(engineLine, curves, knobs, message, explorerBox);

    const gridZ = new Float32Array(10 * COLUMNS * LATENT), gridDigits = new Int32Array(10 * COLUMNS);
    { const r = Random(GRID_SEED), column = Array.from({ length: COLUMNS }, () => Float32Array.from({ length: LATENT }, () => r.normal()));
      for (let row = 0; row < 10; row++) for (let col = 0; col < COLUMNS; col++) { gridZ.set(column[col], (row * COLUMNS + col) * LATENT); gridDigits[row * COLUMNS + col] = row; } }

    let engine, settings, timer = null, recent = [];
    function readSettings() {  // every knob checked; the first bad one is refused with its message
      const out = {};
      for (const [name, input] of [["lrD", c.lrD], ["lrG", c.lrG], ["dSteps", c.dSteps], ["seed", c.seed]]) out[name] = checkKnob(name, input.value.trim());
      out.conditioning = checkKnob("conditioning", c.conditioning.value);
      return out;
    }
    function make() {
      settings = readSettings();
      engine = self.engine = Engine(digits, Object.assign({}, settings, { simd: d.simd !== "off" }));
      recent = [];
      self.speed = 0;
      engineLine.textContent = engine.simd
        ? `Engine: ${engine.kernels}, in this tab, on one core.`
        : "Engine: plain JavaScript, because this browser has no WebAssembly SIMD: it works, more than ten times slower.";
      root.dataset.engine = engine.simd ? "wasm-simd" : "js";
    }
    make();

    function drawGrid() {
      const images = engine.sample(gridZ, gridDigits), ctx = grid.getContext("2d"), size = 28 * SCALE;
      const picture = ctx.createImageData(grid.width, grid.height), px = picture.data;
      px.fill(128);
      for (let p = 3; p < px.length; p += 4) px[p] = 255;
      for (let row = 0; row < 10; row++) for (let col = 0; col < COLUMNS; col++) {
        const n = row * COLUMNS + col, x0 = col * (size + GAP), y0 = row * (size + GAP);
        for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
          const v = Math.round(255 * images[n * PIXELS + Math.floor(y / SCALE) * 28 + Math.floor(x / SCALE)]);
          const p = 4 * ((y0 + y) * grid.width + x0 + x);
          px[p] = px[p + 1] = px[p + 2] = v;
        }
      }
      ctx.putImageData(picture, 0, 0);
      grid.setAttribute("aria-label", `G's digits 0 to 9 (one row each, the same ${COLUMNS} noise vectors in every row) after ${engine.stats.iteration} iterations`);
      self.draws++;
      root.dataset.draws = self.draws;
    }
    function drawCurves() {
      const h = engine.stats.history;
      chart(lossCanvas, "losses", [{ key: "dLoss", label: "D", color: "#1f77b4" }, { key: "gLoss", label: "G", color: "#d62728" }], h, null, true);
      chart(viewCanvas, "D's view", [{ key: "dReal", label: "D(x|y)", color: "#2ca02c" }, { key: "dFake", label: "D(G(z|y)|y)", color: "#9467bd" }], h, [0, 1]);
    }
    function showStatus() {
      const h = engine.stats.history, last = h[h.length - 1];
      self.iteration = engine.stats.iteration;
      root.dataset.iteration = self.iteration;
      const what = { idle: "Ready", training: "Training", paused: "Paused" }[self.state] || self.state;
      status.textContent = `${what}: iteration ${self.iteration}` + (self.speed ? `, ${self.speed.toFixed(1)} iterations per second` : "") +
        (last ? `; D(x|y) ${last.dReal.toFixed(2)}, D(G(z|y)|y) ${last.dFake.toFixed(2)}, D loss ${last.dLoss.toFixed(2)}, G loss ${last.gLoss.toFixed(2)}` : "") + ".";
      train.textContent = self.state === "training" ? "Pause" : self.iteration ? "Resume" : "Train";
    }

    let target = Infinity, finished = null;
    function chunk() {  // about 60 ms of iterations, then the page gets the thread back
      timer = null;
      if (self.state !== "training") return;
      const begin = performance.now();
      let done = 0;
      try {
        do {
          engine.iteration(); done++;
          if (engine.stats.iteration % REDRAW === 0) drawGrid();
        } while (performance.now() - begin < 60 && engine.stats.iteration < target);
      } catch (e) {
        self.errors.push(String(e)); message.textContent = "Training stopped: " + e.message; self.state = "paused"; showStatus(); return;
      }
      const now = performance.now();
      recent.push([now, done, now - begin]);
      while (recent.length > 1 && now - recent[0][0] > 3000) recent.shift();
      const its = recent.reduce((a, r) => a + r[1], 0), ms = recent.reduce((a, r) => a + r[2], 0);
      self.speed = ms > 0 ? 1000 * its / ms : 0;  // iterations per second of training time (the page's own drawing left out)
      drawCurves();
      if (engine.stats.iteration >= target) {
        drawGrid(); self.state = "paused"; showStatus(); target = Infinity;
        if (finished) { const f = finished; finished = null; f(engine.stats.iteration); }
        return;
      }
      showStatus();
      timer = setTimeout(chunk, 0);
    }
    function start() { if (self.state === "training") return; message.textContent = ""; self.state = "training"; showStatus(); timer = setTimeout(chunk, 0); }
    function pause() { if (self.state !== "training") return; self.state = "paused"; if (timer) clearTimeout(timer); timer = null; drawGrid(); showStatus(); }
    function doReset() {
      pause();
      try { make(); } catch (e) { message.textContent = e.message; return false; }
      message.textContent = "";
      self.state = "idle"; drawGrid(); drawCurves(); showStatus();
      return true;
    }

    train.addEventListener("click", () => (self.state === "training" ? pause() : start()));
    reset.addEventListener("click", doReset);
    const accepted = {};  // the text of each knob's last accepted value, put back when a value is refused
    for (const [name, input] of [["lrD", c.lrD], ["lrG", c.lrG], ["dSteps", c.dSteps], ["conditioning", c.conditioning], ["seed", c.seed]]) {
      accepted[name] = input.value;
      input.addEventListener("change", () => {
        try {
          const v = checkKnob(name, input.value.trim());
          if (name === "conditioning" || name === "seed") {
            message.textContent = `The new ${name} applies from the next Reset (it changes the networks or their starting weights).`;
          } else { engine.set(name, v); settings[name] = v; message.textContent = ""; }
          accepted[name] = input.value;
          input.removeAttribute("aria-invalid");
        } catch (e) {
          message.textContent = `Refused: ${e.message}. Kept ${accepted[name]}.`;
          input.setAttribute("aria-invalid", "true");
          input.value = accepted[name];
        }
      });
    }
    c.preset.addEventListener("change", () => {
      const p = PRESETS[c.preset.value];
      c.lrD.value = String(p.lrD); c.lrG.value = String(p.lrG); c.dSteps.value = String(p.dSteps);
      for (const name of ["lrD", "lrG", "dSteps"]) { engine.set(name, p[name]); settings[name] = p[name]; accepted[name] = c[name].value; }
      message.textContent = `Preset: ${p.label}. Press Reset to start it again from the seed's starting weights, or Train to continue from here.`;
    });

    /* The trained G, batch normalization folded, in the page explorer's own engine (cgan-explorer.js). */
    let handed = null;
    async function handToExplorer() {
      if (!window.CGAN) {
        await new Promise((resolve, reject) => {
          const script = el("script", { src: folder + "cgan-explorer.js" });
          script.onload = resolve; script.onerror = () => reject(new Error("could not load " + script.src));
          document.head.append(script);
        });
      }
      const { header, buffer } = engine.folded(), model = window.CGAN.model(header, buffer);
      window.CGAN.trained = model;
      if (!handed) {
        const canvas = el("canvas", { className: "cgan-trainer-grid", width: 8 * (28 * 3 + 2) - 2, height: 28 * 3 });
        canvas.setAttribute("role", "img");
        const box = el("div", { className: "cgan-trainer-knobs" });
        const digit = knob(box, id("explore-digit"), "digit", el("input", { type: "range", min: 0, max: 9, step: 1, value: 3 }));
        const seed = knob(box, id("explore-seed"), "explorer seed", el("input", { type: "number", min: 0, max: 2147483647, step: 1, value: 0 }));
        const caption = el("p", { className: "cgan-trainer-status" });
        explorerBox.append(el("h4", { textContent: "Your generator in the digit explorer" }), box, canvas, caption);
        handed = { canvas, digit, seed, caption, draws: 0 };
        const redraw = () => {
          const s = Number(handed.seed.value), dg = Number(handed.digit.value);
          if (!Number.isInteger(s) || s < 0) return;
          const images = window.CGAN.generate(handed.model, window.CGAN.normals(s, 8 * LATENT), dg), ctx = canvas.getContext("2d");
          const picture = ctx.createImageData(canvas.width, canvas.height), px = picture.data;
          px.fill(128);
          for (let n = 0; n < 8; n++) for (let y = 0; y < 84; y++) for (let x = 0; x < 84; x++) {
            const v = Math.round(255 * images[n * PIXELS + Math.floor(y / 3) * 28 + Math.floor(x / 3)]), p = 4 * (y * canvas.width + n * 86 + x);
            px[p] = px[p + 1] = px[p + 2] = v;
          }
          for (let p = 3; p < px.length; p += 4) px[p] = 255;
          ctx.putImageData(picture, 0, 0);
          canvas.setAttribute("aria-label", `8 images of the digit ${dg} from your generator (seed ${s})`);
          caption.textContent = `8 × G(z | ${dg}) by the generator you trained (iteration ${handed.iteration}), computed by the explorer's engine.`;
          handed.draws++; explorerBox.dataset.draws = handed.draws;
        };
        handed.redraw = redraw;
        digit.addEventListener("input", redraw); seed.addEventListener("input", redraw);
      }
      handed.model = model; handed.iteration = engine.stats.iteration;
      handed.redraw();
      return model;
    }
    hand.addEventListener("click", () => handToExplorer().catch(e => { message.textContent = e.message; }));

    Object.assign(self, {
      start, pause, reset: doReset, hand: handToExplorer, grid, controls: c, message, status,
      run(n) {  // train n more iterations; resolves with the iteration count when done
        target = engine.stats.iteration + n;
        const p = new Promise(resolve => { finished = resolve; });
        start();
        return p;
      },
      sample(digit, n, seed = 0) {  // n images of a digit, [0, 1], 784 values each (inference mode)
        const z = new Float32Array(n * LATENT), r = Random(seed);
        for (let i = 0; i < z.length; i++) z[i] = r.normal();
        return Array.from(engine.sample(z, new Int32Array(n).fill(digit)));
      },
    });
    Object.defineProperty(self, "history", { get: () => engine.stats.history });
    Object.defineProperty(self, "kernels", { get: () => engine.kernels });
    self.state = "idle";
    drawGrid(); drawCurves(); showStatus();
    return self;
  }

  const trainers = [];
  function start() {
    if (!document.getElementById("cgan-trainer-style")) document.head.append(el("style", { id: "cgan-trainer-style", textContent: CSS }));
    for (const root of document.querySelectorAll(".cgan-trainer:not([data-started])")) {
      root.dataset.started = "true";
      const promise = trainer(root);
      trainers.push(promise);
      if (trainers.length === 1) promise.then(t => { window.cganTrainer = t; root.dataset.ready = t.state; });
    }
  }

  window.CGANTrainer = {
    Engine, Random, loadData, checkKnob, KNOBS, DEFAULTS, PRESETS, dataset, start, trainers,
    simdAvailable: () => !!simdModule(false), fmaAvailable: () => !!(simdModule(true) || {}).fused,
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
