// Review form: keyboard shortcuts, and the signature meaning kept in step with the decision.
// Plain static file (no build step, no inline script): the CSP allows only our own scripts.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  var next = document.getElementById("next-claim");
  var meaning = form ? form.querySelector("[name=signature_meaning]") : null;
  var standard = meaning ? {
    approve: meaning.getAttribute("data-approve-meaning"),
    reject: meaning.getAttribute("data-reject-meaning")
  } : {};

  // Only a meaning the reviewer has not edited is swapped; the server checks again.
  function syncMeaning(decision) {
    if (!meaning || !standard[decision]) { return; }
    var untouched = meaning.value === "" || meaning.value === standard.approve || meaning.value === standard.reject;
    if (untouched) { meaning.value = standard[decision]; }
  }
  // Tell other reviewers this claim is open here. A POST with the form's CSRF token, not part of
  // the page's GET, so no other site can set the mark; without JavaScript nobody is marked.
  var openUrl = form ? form.getAttribute("data-open-url") : null;
  var token = form ? form.querySelector("[name=csrfmiddlewaretoken]") : null;
  if (openUrl && token && window.fetch) {
    window.fetch(openUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token.value }
    }).catch(function () { /* only a hint for others; the review itself does not depend on it */ });
  }
  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target.name === "decision") { syncMeaning(event.target.value); }
    });
  }

  function choose(decision, focusName) {
    var radio = form && form.querySelector("[name=decision][value=" + decision + "]");
    if (!radio) { return false; }
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    var target = form.querySelector("[name=" + focusName + "]");
    (target || radio).focus();
    return true;
  }

  // Single-key shortcuts, never while the reviewer is typing or holding a modifier.
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var el = event.target;
    var typing = el && (el.isContentEditable || /^(TEXTAREA|SELECT)$/.test(el.tagName) ||
      (el.tagName === "INPUT" && !/^(radio|checkbox|button|submit)$/.test(el.type)));
    if (typing) { return; }
    var key = event.key.toLowerCase();
    var handled = false;
    if (key === "a") { handled = choose("approve", "password"); }
    else if (key === "c") { handled = choose("request_changes", "nuance_note"); }
    else if (key === "j" && next) { handled = true; window.location.assign(next.href); }
    if (handled) { event.preventDefault(); }
  });
})();
