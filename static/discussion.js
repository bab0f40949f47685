// Discussion: selecting words of the claim fills the comment and suggestion forms' span.
// Plain static file (no inline script: the CSP allows only our own scripts). Offsets are sent in
// characters (code points), as the server counts them, with the quoted words, which it checks.
(function () {
  "use strict";
  var words = document.getElementById("claim-words");
  if (!words) { return; }
  var forms = [document.getElementById("comment-form"), document.getElementById("suggest-form")].filter(Boolean);
  var suggestText = document.getElementById("suggest-text");

  function codePoints(s) { return Array.from(s).length; }

  function update() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { return; }
    var range = sel.getRangeAt(0);
    if (!words.contains(range.startContainer) || !words.contains(range.endContainer)) { return; }
    var before = document.createRange();
    before.selectNodeContents(words);
    before.setEnd(range.startContainer, range.startOffset);
    var quote = range.toString();
    if (!quote.trim()) { return; }
    var start = codePoints(before.toString());
    var end = start + codePoints(quote);
    forms.forEach(function (form) {
      form.querySelector("[name=start]").value = start;
      form.querySelector("[name=end]").value = end;
      var q = form.querySelector("[name=quote]");
      if (q) { q.value = quote; }
      form.querySelectorAll("[data-selected]").forEach(function (el) { el.textContent = quote; });
    });
    if (suggestText) { suggestText.value = quote; }
  }
  document.addEventListener("selectionchange", update);
  words.addEventListener("mouseup", update);
})();
