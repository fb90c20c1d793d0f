// The few behaviours of Soglasie's pages that need a script. They live here, in a static file, because
// the Content-Security-Policy allows no inline script: no <script> in a template, no on…= attribute,
// no hx-on. Each works by event delegation, so it also holds for fragments htmx swaps in.
"use strict";

document.addEventListener("change", (event) => {
  const target = event.target;
  // The language switch in the header sends its form as soon as a language is chosen.
  if (target.matches("select[data-submit-on-change]")) {
    target.form.submit();
    return;
  }
  // An employees picker: a person ticked among the search results joins the chosen ones.
  const results = target.closest("[data-chosen]");
  if (results && target.checked) {
    document.getElementById(results.dataset.chosen).append(target.closest("label"));
  }
});
