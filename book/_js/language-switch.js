// The language switch of the CGAN book: every page links to the same page in the other language.
// The English book is _build/html/<page>, the Korean one _build/html/ko/<page> (built from the same
// sources by scripts/korean.py), so the other page is found from the URL alone, on the web and from
// disk. A Korean page also gets a "Colab에서 열기" badge: its Colab launch link already opens the
// Korean notebook (ko/book/<name>.ipynb), so the badge copies that link.
(function () {
  "use strict";
  var KOREAN = "ko";

  function otherLanguage() {
    var html = document.documentElement;
    var korean = (html.lang || "").toLowerCase().indexOf(KOREAN) === 0;
    var contentRoot = html.getAttribute("data-content_root"); // "../" on book/x.html (Sphinx >= 7.2)
    if (contentRoot === null) return null;
    var here = window.location.href.split("#")[0].split("?")[0];
    var root = new URL(contentRoot, here).href; // the book's root: .../html/ or .../html/ko/
    if (here.indexOf(root) !== 0) return null;
    var page = here.slice(root.length) || "index.html";
    var target = new URL((korean ? "../" : KOREAN + "/") + page, root).href + window.location.hash;
    return korean
      ? { href: target, label: "English", lang: "en", title: "Read this page in English" }
      : { href: target, label: "한국어", lang: KOREAN, title: "이 페이지를 한국어로 읽기" };
  }

  function addSwitch(other) {
    var link = document.createElement("a");
    link.className = "btn btn-sm language-switch";
    link.href = other.href;
    link.hreflang = other.lang;
    link.lang = other.lang;
    link.title = other.title;
    link.textContent = other.label;
    link.style.fontSize = "0.9rem";
    link.style.fontWeight = "600";
    var buttons = document.querySelector(".article-header-buttons");
    if (buttons) {
      buttons.insertBefore(link, buttons.firstChild);
    } else {
      link.style.position = "fixed";
      link.style.top = "0.5rem";
      link.style.right = "0.5rem";
      link.style.zIndex = "2000";
      document.body.appendChild(link);
    }
  }

  function addColabBadge() {
    var launch = document.querySelector('a[href^="https://colab.research.google.com/"]');
    var title = document.querySelector("article section h1, main section h1"); // not the print-only title
    if (!launch || !title) return;
    var badge = document.createElement("a");
    badge.className = "colab-badge";
    badge.href = launch.href;
    badge.textContent = "Colab에서 열기";
    badge.title = "이 장의 한국어 노트북을 Google Colab에서 엽니다";
    var s = badge.style;
    s.display = "inline-block";
    s.margin = "0 0 1rem 0";
    s.padding = "0.15rem 0.6rem";
    s.borderRadius = "0.3rem";
    s.background = "#f9ab00";
    s.color = "#000";
    s.fontSize = "0.85rem";
    s.fontWeight = "600";
    s.textDecoration = "none";
    var box = document.createElement("div");
    box.appendChild(badge);
    title.parentNode.insertBefore(box, title.nextSibling);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var other = otherLanguage();
    if (other) addSwitch(other);
    if (other && other.lang === "en") addColabBadge();
  });
})();
