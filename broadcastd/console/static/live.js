// A page's live parts (a broadcast's acks and history): every few seconds the page is
// fetched again and each element marked data-live is swapped for its new version, so
// cells turn to "Đang phát" as acks arrive; forms outside those parts stay as typed.
(function () {
  "use strict";
  var parts = document.querySelectorAll("[data-live][id]");
  if (!parts.length) { return; }
  var every = 5000;
  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" }).then(function (answer) {
      if (answer.redirected || answer.status === 401) { window.location.reload(); return null; }
      return answer.ok ? answer.text() : null;
    }).then(function (html) {
      if (html === null) { return; }
      var fresh = new DOMParser().parseFromString(html, "text/html");
      parts.forEach(function (part) {
        var now = fresh.getElementById(part.id);
        if (now && now.innerHTML !== part.innerHTML) { part.innerHTML = now.innerHTML; }
      });
    }).catch(function () { /* server away: keep what is shown, try again */ })
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
