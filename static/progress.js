// Long work shows progress. Plain static file under the CSP (no inline script).
// - A form with data-progress="ID" reveals that progress box when it is sent, and its
//   submit button is disabled so a slow import is not sent twice.
// - A link with data-export-total="N" downloads through fetch, counting the rows as they
//   stream in against the N events the page already knows, then saves the file.
//   Without fetch streams the link is an ordinary download.
(function () {
  "use strict";

  function box(id) {
    var el = document.getElementById(id);
    return el && { el: el, bar: el.querySelector("progress"), label: el.querySelector(".progress-label") };
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var progress = form.getAttribute && form.getAttribute("data-progress");
    var b = progress && box(progress);
    if (!b) { return; }
    var file = form.querySelector("input[type=file]");
    var text = form.querySelector("textarea");
    var what = file && file.files && file.files.length ? file.files[0].name + " (" + Math.ceil(file.files[0].size / 1024) + " KB)"
      : text ? text.value.length.toLocaleString() + " characters" : "the article";
    b.label.textContent = "Importing " + what + ": splitting it into sections, claims and references…";
    b.el.hidden = false;
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
  });

  function filename(response, fallback) {
    var match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return match ? match[1] : fallback;
  }

  function exportWithProgress(link, event) {
    if (!window.fetch || !window.ReadableStream || !window.URL || !URL.createObjectURL) { return; }
    var b = box(link.getAttribute("data-progress"));
    if (!b) { return; }
    event.preventDefault();
    var total = parseInt(link.getAttribute("data-export-total"), 10) || 0;
    b.bar.max = Math.max(total, 1);
    b.bar.value = 0;
    b.label.textContent = "Exporting 0 of " + total + " events…";
    b.el.hidden = false;
    fetch(link.href, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error("the server answered " + response.status); }
      var reader = response.body.getReader();
      var chunks = [];
      var newlines = 0;
      function pump() {
        return reader.read().then(function (step) {
          if (step.done) { return; }
          chunks.push(step.value);
          for (var i = 0; i < step.value.length; i++) { if (step.value[i] === 10) { newlines++; } }
          // One line per event after the header (a multi-line field only makes this run ahead; capped).
          var rows = Math.min(Math.max(newlines - 1, 0), total);
          b.bar.value = rows;
          b.label.textContent = "Exporting " + rows + " of " + total + " events…";
          return pump();
        });
      }
      return pump().then(function () {
        var blob = new Blob(chunks, { type: response.headers.get("Content-Type") || "text/csv" });
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = filename(response, "audit-events.csv");
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
        b.bar.value = b.bar.max;
        b.label.textContent = "Exported " + total + " events to " + a.download + ".";
      });
    }).catch(function (error) {
      b.label.textContent = "The export failed: " + error.message + ". Try the link again.";
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-export-total]");
    if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey) { exportWithProgress(link, event); }
  });
})();
