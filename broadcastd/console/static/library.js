// The library page's upload, with progress: the same form the page posts without script,
// sent by XMLHttpRequest so that its upload progress can be shown. No framework.
(function () {
  "use strict";
  var form = document.querySelector("form.upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var title = form.querySelector("[name=title]");
  var name = form.querySelector("[name=name]");
  var file = form.querySelector("[name=file]");
  var button = form.querySelector("button[type=submit]");
  var bar = document.getElementById("upload-progress");
  var says = document.getElementById("upload-status");
  var problem = document.getElementById("upload-problem");
  var typed = name.value !== "";

  // The catalogue name proposed for a title, as broadcastd.audio.names.name_from_filename.
  function slug(text) {
    return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/, "");
  }
  name.addEventListener("input", function () { typed = name.value !== ""; });
  title.addEventListener("input", function () { if (!typed) { name.value = slug(title.value); } });

  function show(text) {
    var line = document.createElement("p");
    line.className = "error";
    line.textContent = text;
    problem.replaceChildren(line);
  }
  function ended() { bar.hidden = true; says.textContent = ""; button.disabled = false; }
  function refused(xhr) {
    var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var found = page.getElementById("upload-problem");
    if (found && found.innerHTML.trim()) { problem.innerHTML = found.innerHTML; return; }
    try { show(JSON.parse(xhr.responseText).detail); } catch (e) { show(xhr.status + " " + xhr.statusText); }
  }

  form.addEventListener("submit", function (event) {
    var chosen = file.files && file.files[0];
    var most = parseInt(form.getAttribute("data-max-bytes"), 10);
    event.preventDefault();
    if (chosen && most && chosen.size > most) { show(form.getAttribute("data-too-big")); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      var percent = Math.floor(e.loaded * 100 / e.total);
      bar.value = percent;
      says.textContent = form.getAttribute("data-uploading").replace("{percent}", percent);
    });
    xhr.upload.addEventListener("load", function () {
      bar.removeAttribute("value");  // indeterminate while the server converts it
      says.textContent = form.getAttribute("data-processing");
    });
    xhr.addEventListener("load", function () {
      var added = xhr.status === 200 && new URL(xhr.responseURL).searchParams.get("added");
      if (added) { window.location.assign(xhr.responseURL.split("#")[0] + "#item-" + added); return; }
      refused(xhr);
      ended();
    });
    xhr.addEventListener("error", function () { show(form.getAttribute("data-lost")); ended(); });
    problem.replaceChildren();
    bar.hidden = false;
    bar.value = 0;
    button.disabled = true;
    xhr.send(new FormData(form));
  });
})();
