// ipywidgets' embed manager "typesets" every widget label with MathJax 2's `MathJax.Hub.Queue`; the
// book loads MathJax 3, which has no Hub, so each labelled widget threw a TypeError. The book's widget
// labels hold no math: give MathJax 3 a Hub whose Queue does nothing. (Deferred scripts such as
// MathJax run before DOMContentLoaded; the embed manager renders widgets after it.)
document.addEventListener("DOMContentLoaded", function () {
  if (window.MathJax && !window.MathJax.Hub) {
    window.MathJax.Hub = { Queue: function () {} };
  }
});
