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

// On a phone the header folds into a «Меню» button (CSS shows it under 600 px). Without a script the
// button stays hidden and the whole navigation is shown, so nothing is ever out of reach.
function setUpMenu() {
  const button = document.getElementById("menu-button");
  const header = button && button.closest(".site-header");
  if (!header) return;
  button.hidden = false;
  header.classList.add("menu-collapsible");
  button.addEventListener("click", () => {
    const open = header.classList.toggle("menu-open");
    button.setAttribute("aria-expanded", String(open));
  });
}

// Collapsible filters («Автоматизация»): rendered open, so they work without a script; a phone
// closes them on load so the list comes first.
function foldFiltersOnPhone() {
  if (!window.matchMedia("(max-width: 600px)").matches) return;
  document.querySelectorAll("details[data-fold-on-phone]").forEach((details) => {
    details.open = false;
  });
}

// A field shown only for one choice of another (the dates of «В интервале дат»): marked
// data-shown-when="<select id>=<value>". Without a script such fields simply stay visible.
function showDependentFields() {
  document.querySelectorAll("[data-shown-when]").forEach((element) => {
    const [id, value] = element.dataset.shownWhen.split("=");
    const control = document.getElementById(id);
    if (control) element.hidden = control.value !== value;
  });
}

document.addEventListener("change", (event) => {
  if (event.target.matches("select")) showDependentFields();
});

// «/» anywhere outside a field goes to the header search, as on most sites with one.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const active = document.activeElement;
  if (active && (active.isContentEditable || active.matches("input, textarea, select"))) return;
  const search = document.getElementById("site-search-q");
  if (!search) return;
  event.preventDefault();
  search.focus();
  search.select();
});

document.addEventListener("DOMContentLoaded", () => {
  setUpMenu();
  foldFiltersOnPhone();
  showDependentFields();
});
