// Review form: keep the signature meaning in step with the decision.
// Only a meaning the reviewer has not edited is swapped; the server checks again.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) { return; }
  var meaning = form.querySelector("[name=signature_meaning]");
  if (!meaning) { return; }
  var standard = {
    approve: meaning.getAttribute("data-approve-meaning"),
    reject: meaning.getAttribute("data-reject-meaning")
  };
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name !== "decision" || !standard[target.value]) { return; }
    var untouched = meaning.value === "" || meaning.value === standard.approve || meaning.value === standard.reject;
    if (untouched) { meaning.value = standard[target.value]; }
  });
})();
