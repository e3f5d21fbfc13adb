/* The same CGAN iteration in TensorFlow.js, for scripts/bench-trainer only (the page does not load it).
 *
 * G and D, BCE on D's logit, Adam(2e-4, 0.5, 0.999, 1e-7), batch 32, the library's iteration (G's
 * fakes in training mode, D on reals then on fakes, G through D with the same z and fresh labels),
 * written with TF.js ops so that its WebGL and CPU backends can be timed beside cgan-trainer.js.
 * window.CGANTrainerTF.Engine(tf, digits, {conditioning, seed}) -> {iteration(), read()}.
 */
(function () {
  "use strict";
  const N = 32, LATENT = 100, CLASSES = 10, PIXELS = 784, SLOPE = 0.2, RATE = 0.4, MOMENTUM = 0.8, EPS = 1e-3;

  function Engine(tf, digits, { conditioning = "multiply", seed = 0 } = {}) {
    const concat = conditioning === "concatenate";
    let s = seed;
    const glorot = (i, o) => tf.variable(tf.randomUniform([i, o], -Math.sqrt(6 / (i + o)), Math.sqrt(6 / (i + o)), "float32", s++));
    const zeros = n => tf.variable(tf.zeros([n])), ones = n => tf.variable(tf.ones([n]));
    const gIn = concat ? 2 * LATENT : LATENT, dIn = concat ? 2 * PIXELS : PIXELS;
    const G = { E: tf.variable(tf.randomUniform([CLASSES, LATENT], -0.05, 0.05, "float32", s++)), W: [], b: [], gamma: [], beta: [], mm: [], mv: [] };
    [[gIn, 256], [256, 512], [512, 1024], [1024, PIXELS]].forEach(([i, o], l) => {
      G.W.push(glorot(i, o)); G.b.push(zeros(o));
      if (l < 3) { G.gamma.push(ones(o)); G.beta.push(zeros(o)); G.mm.push(tf.variable(tf.zeros([o]), false)); G.mv.push(tf.variable(tf.ones([o]), false)); }
    });
    const D = { E: tf.variable(tf.randomUniform([CLASSES, PIXELS], -0.05, 0.05, "float32", s++)), W: [], b: [] };
    [[dIn, 512], [512, 512], [512, 512], [512, 1]].forEach(([i, o]) => { D.W.push(glorot(i, o)); D.b.push(zeros(o)); });
    const gVars = [G.E, ...G.W, ...G.b, ...G.gamma, ...G.beta], dVars = [D.E, ...D.W, ...D.b];
    const optD = tf.train.adam(2e-4, 0.5, 0.999, 1e-7), optG = tf.train.adam(2e-4, 0.5, 0.999, 1e-7);
    const images = tf.tensor2d(Float32Array.from(digits.images, v => (v / 255) * 2 - 1), [digits.count, PIXELS]);
    const labels = tf.tensor1d(Int32Array.from(digits.labels), "int32");

    function generator(z, y) {  // training mode: batch statistics, moving statistics updated
      const e = tf.gather(G.E, y);
      let h = concat ? tf.concat([z, e], 1) : tf.mul(z, e);
      for (let l = 0; l < 3; l++) {
        const a = tf.leakyRelu(tf.add(tf.matMul(h, G.W[l]), G.b[l]), SLOPE);
        const { mean, variance } = tf.moments(a, 0);
        G.mm[l].assign(tf.add(tf.mul(G.mm[l], MOMENTUM), tf.mul(mean, 1 - MOMENTUM)));
        G.mv[l].assign(tf.add(tf.mul(G.mv[l], MOMENTUM), tf.mul(variance, 1 - MOMENTUM)));
        h = tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, EPS))), G.gamma[l]), G.beta[l]);
      }
      return tf.tanh(tf.add(tf.matMul(h, G.W[3]), G.b[3]));
    }
    function discriminator(x, y) {  // training mode: dropout on
      const f = tf.gather(D.E, y);
      let h = concat ? tf.concat([x, f], 1) : tf.mul(x, f);
      for (let l = 0; l < 3; l++) {
        h = tf.leakyRelu(tf.add(tf.matMul(h, D.W[l]), D.b[l]), SLOPE);
        if (l > 0) h = tf.dropout(h, RATE);
      }
      return tf.add(tf.matMul(h, D.W[3]), D.b[3]);
    }
    const one = tf.ones([N, 1]), zero = tf.zeros([N, 1]);
    let last = null;

    function iteration() {
      if (last) last.forEach(t => t.dispose());
      last = tf.tidy(() => {
        const index = tf.randomUniform([N], 0, digits.count, "int32");
        const real = tf.gather(images, index), y = tf.gather(labels, index);
        const z = tf.randomNormal([N, LATENT]);
        const fakes = generator(z, y);
        const dReal = optD.minimize(() => tf.losses.sigmoidCrossEntropy(one, discriminator(real, y)), true, dVars);
        const dFake = optD.minimize(() => tf.losses.sigmoidCrossEntropy(zero, discriminator(fakes, y)), true, dVars);
        const fresh = tf.randomUniform([N], 0, CLASSES, "int32");
        const gLoss = optG.minimize(() => tf.losses.sigmoidCrossEntropy(one, discriminator(generator(z, fresh), fresh)), true, gVars);
        return [tf.mul(tf.add(dReal, dFake), 0.5), gLoss];
      });
      return last;
    }
    async function read() { return last ? Promise.all(last.map(t => t.data())) : null; }
    return { iteration, read, backend: tf.getBackend() };
  }
  window.CGANTrainerTF = { Engine };
})();
