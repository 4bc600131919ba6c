// The Today page, live: every few seconds its content is fetched again from the server
// (the same HTML it was rendered with) and swapped in. No framework, no build step.
(function () {
  "use strict";
  var box = document.getElementById("today");
  if (!box) { return; }
  var url = box.getAttribute("data-fragment");
  var every = parseInt(box.getAttribute("data-every"), 10) || 5000;
  function refresh() {
    fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (answer) {
      if (answer.status === 401) { window.location.reload(); return null; }
      return answer.ok ? answer.text() : null;
    }).then(function (html) {
      if (html !== null && html !== box.innerHTML) { box.innerHTML = html; }
    }).catch(function () { /* server away: keep what is shown, try again */ })
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
